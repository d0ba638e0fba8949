"""The chart specs and number formats of the results pages: pure functions, no database."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from backbone.measurement.charts import (
    format_change,
    format_value,
    rounded,
    sparkline,
    sparkline_spec,
    trend_spec,
)

POINTS = [
    {"period": "2019", "start": date(2019, 1, 1), "value": Decimal("10345"), "segment": 0},
    {"period": "2020", "start": date(2020, 1, 1), "value": None, "segment": 0},
    {"period": "2021", "start": date(2021, 1, 1), "value": Decimal("7915"), "suppressed": True},
    {"period": "2022", "start": "2022-01-01", "value": 10654.0, "segment": 1},
]


def spec(**overrides):
    args = {
        "points": POINTS,
        "title": "People experiencing homelessness, Ohio",
        "description": "Line chart; the same figures are in the table below.",
        "y_title": "Count",
    }
    return trend_spec(**{**args, **overrides})


def layer(made: dict, description: str) -> dict:
    [found] = [item for item in made["layer"] if item.get("description") == description]
    return found


def test_trend_plots_only_shown_values_as_plain_json_numbers():
    made = spec()
    assert made["data"]["values"] == [
        {"period": "2019", "start": "2019-01-01", "value": 10345.0, "segment": 0},
        {"period": "2022", "start": "2022-01-01", "value": 10654.0, "segment": 1},
    ]
    # Nothing a JSON script tag cannot hold (no Decimal, no date), and no Vega expression.
    text = json.dumps(made)
    assert "expr" not in text and "signal" not in text
    assert made["description"].startswith("Line chart")
    assert made["title"] == "People experiencing homelessness, Ohio"


def test_trend_does_not_join_points_across_a_series_break():
    line = spec()["layer"][0]
    assert line["mark"]["type"] == "line"
    assert line["encoding"]["detail"] == {"field": "segment", "type": "nominal"}


def test_trend_draws_baseline_targets_and_annotations_on_the_chart():
    made = spec(
        baseline={"value": Decimal("10345"), "label": "Baseline (2019): 10,345"},
        targets=[{"value": Decimal("8276"), "label": "Target for 2030: 8,276"}],
        annotations=[{"start": date(2021, 1, 1), "text": "2021: not comparable"}],
    )
    baseline = layer(made, "baseline")
    assert baseline["data"]["values"] == [{"value": 10345.0, "label": "Baseline (2019): 10,345"}]
    assert baseline["layer"][0]["mark"]["type"] == "rule"
    assert baseline["layer"][1]["encoding"]["text"] == {"field": "label"}
    target = layer(made, "target")
    assert target["data"]["values"] == [{"value": 8276.0, "label": "Target for 2030: 8,276"}]
    notes = layer(made, "annotations")
    assert notes["data"]["values"] == [{"start": "2021-01-01", "text": "2021: not comparable"}]
    assert [item["mark"]["type"] for item in notes["layer"]] == ["rule", "text"]


def test_trend_leaves_out_missing_references():
    made = spec(baseline={"value": None, "label": "x"}, targets=[{"value": None, "label": "y"}])
    assert [item.get("description") for item in made["layer"]] == [None, None]


def test_grouped_trend_tells_groups_apart_by_colour_and_shape():
    points = [
        {"period": "2023", "start": date(2023, 1, 1), "value": 8983, "group": "Sheltered"},
        {"period": "2023", "start": date(2023, 1, 1), "value": 2403, "group": "Unsheltered"},
    ]
    made = spec(points=points, group_field="group", group_title="Shelter status")
    assert [row["group"] for row in made["data"]["values"]] == ["Sheltered", "Unsheltered"]
    dots = made["layer"][1]["encoding"]
    assert dots["color"]["scale"]["domain"] == ["Sheltered", "Unsheltered"]
    assert dots["shape"]["scale"]["domain"] == ["Sheltered", "Unsheltered"]
    assert dots["color"]["title"] == "Shelter status"
    assert {"field": "group", "type": "nominal"} in made["layer"][0]["encoding"]["detail"]


def test_sparkline_spec_has_no_axes():
    made = sparkline_spec(points=POINTS, description="Trend")
    assert made["encoding"]["x"]["axis"] is None and made["encoding"]["y"]["axis"] is None
    assert len(made["data"]["values"]) == 2


def test_sparkline_geometry_spans_the_box_and_breaks_at_segments():
    line = sparkline(POINTS, width=120, height=32)
    # Two shown points, in different segments: two one-point lines, first low-left, last right.
    assert line.lines == ("3.0,29.0", "117.0,3.0")
    assert line.last == (117.0, 3.0)
    assert sparkline([]).lines == ()


def test_sparkline_of_a_flat_series_is_drawn_in_the_middle():
    flat = [{"period": str(y), "start": date(y, 1, 1), "value": 5} for y in (2020, 2021)]
    assert sparkline(flat, width=100, height=20).lines == ("3.0,10.0 97.0,10.0",)


def test_values_are_formatted_by_unit_with_the_indicators_decimals():
    assert format_value(Decimal("10345"), unit="count") == "10,345"
    assert format_value(Decimal("44.25"), unit="percent", decimals=1) == "44.3%"
    assert format_value(Decimal("12.345"), unit="rate", decimals=2, rate_base=1000) == (
        "12.35 per 1,000"
    )
    assert format_value(None, unit="count") == ""


def test_changes_carry_their_sign_and_unit():
    assert format_change(Decimal("1041"), unit="count") == "+1,041"
    assert format_change(Decimal("-1.5"), unit="percent", decimals=1) == ("−1.5 percentage points")
    assert format_change(Decimal("0"), unit="count") == "0"


def test_rounding_is_half_up_everywhere():
    assert rounded(Decimal("2.5"), 0) == Decimal("3")
    assert rounded(Decimal("0.125"), 2) == Decimal("0.13")
    assert rounded(None, 1) is None
