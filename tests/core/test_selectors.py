from datetime import date

import pytest

from backbone.core.models import PartnerKind, Partnership
from backbone.core.selectors import partner_summary
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_partner_summary_counts_every_kind_and_the_signatures():
    initiative = f.initiative()
    f.backbone_admin(initiative, org_name="The Backbone")
    for _ in range(3):
        f.partnership(initiative)
    f.partnership(initiative, kind=PartnerKind.FUNDER)
    Partnership.objects.filter(kind=PartnerKind.FUNDER).update(
        commitment_signed_on=date(2024, 2, 1), commitment_signatory="Dr. Ada Lee"
    )
    f.partnership(f.initiative())  # another initiative's partner does not count

    summary = partner_summary(initiative)

    assert [p.organization.name for p in summary.backbones] == ["The Backbone"]
    assert summary.by_kind == (
        ("Backbone organization", 1),
        ("Partner", 3),
        ("Funder", 1),
        ("Community group", 0),
    )
    assert (summary.signed, summary.total) == (1, 5)
