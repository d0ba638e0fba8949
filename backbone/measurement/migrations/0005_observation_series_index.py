"""An index that answers the series read (``selectors.series_by_group``) by itself on PostgreSQL:
one indicator, some breakdowns, every period, with the place, status and figures to add up
(an index-only scan). SQLite ignores ``include`` and gets (indicator, breakdown, period)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("measurement", "0004_indicator_reference_groups"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="observation",
            index=models.Index(
                fields=["indicator", "breakdown", "period"],
                include=("place", "status", "value", "numerator", "denominator"),
                name="obs_series_cover_idx",
            ),
        ),
    ]
