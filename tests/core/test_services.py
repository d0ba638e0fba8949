"""Business operations on initiatives, partners and members: rules, audit, conflicts."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from backbone.core import services
from backbone.core.errors import ConflictError, DomainError
from backbone.core.models import AuditEvent, Membership, PartnerKind, Partnership, Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    initiative = f.initiative("hope")
    admin = f.backbone_admin(initiative, email="admin@example.org")
    backbone = Partnership.objects.get(initiative=initiative, kind=PartnerKind.BACKBONE)
    partner = f.partnership(initiative, f.organization("Eastside Clinic"))
    return initiative, backbone, partner, admin


def test_stale_edit_of_a_partnership_is_refused_and_names_who_changed_it(setup):
    initiative, _, partner, admin = setup
    other_admin = f.backbone_admin(initiative, email="other.admin@example.org")
    seen_by_both = partner.version
    services.partnership_update(
        actor=other_admin,
        partnership=Partnership.objects.get(pk=partner.pk),
        data={"commitment_signed_on": date(2024, 5, 1), "commitment_signatory": "Dr. Ada Lee"},
        expected_version=seen_by_both,
    )
    with pytest.raises(ConflictError) as caught:
        services.partnership_update(
            actor=admin,
            partnership=Partnership.objects.get(pk=partner.pk),
            data={"kind": PartnerKind.FUNDER},
            expected_version=seen_by_both,
        )
    assert caught.value.changed_by == "other.admin@example.org"
    assert caught.value.changed_at is not None
    assert "other.admin@example.org changed this while you were editing it" in str(caught.value)
    partner.refresh_from_db()
    # The first writer's change stands; the second writer's was not applied.
    assert partner.kind == PartnerKind.PARTNER
    assert partner.commitment_signatory == "Dr. Ada Lee"
    assert partner.version == seen_by_both + 1


def test_partnership_update_is_audited_with_before_and_after(setup):
    initiative, _, partner, admin = setup
    services.partnership_update(
        actor=admin,
        partnership=partner,
        data={"kind": PartnerKind.FUNDER},
        expected_version=partner.version,
    )
    event = AuditEvent.objects.get(action="partnership.update")
    assert event.actor == admin
    assert event.initiative == initiative
    assert event.before == {"kind": "partner"}
    assert event.after == {"kind": "funder"}


def test_a_signed_commitment_needs_a_signatory(setup):
    _, _, partner, admin = setup
    with pytest.raises(ValidationError):
        services.partnership_update(
            actor=admin,
            partnership=partner,
            data={"commitment_signed_on": date(2024, 5, 1), "commitment_signatory": ""},
            expected_version=partner.version,
        )
    partner.refresh_from_db()
    assert partner.commitment_signed_on is None


def test_the_only_backbone_cannot_be_removed_or_demoted(setup):
    _, backbone, _, admin = setup
    with pytest.raises(DomainError):
        services.partnership_remove(actor=admin, partnership=backbone)
    with pytest.raises(DomainError):
        services.partnership_update(
            actor=admin,
            partnership=backbone,
            data={"kind": PartnerKind.PARTNER},
            expected_version=backbone.version,
        )
    backbone.refresh_from_db()
    assert backbone.kind == PartnerKind.BACKBONE


def test_adding_the_same_organization_twice_is_refused(setup):
    initiative, _, partner, admin = setup
    with pytest.raises(DomainError, match="already a partner"):
        services.partnership_add(
            actor=admin,
            initiative=initiative,
            organization=partner.organization,
            kind=PartnerKind.PARTNER,
            joined_on=date(2024, 1, 1),
        )


def test_a_non_admin_cannot_add_a_partner_and_nothing_is_written(setup):
    initiative, _, partner, _ = setup
    steward = f.member(partner.organization, Role.DATA_STEWARD)
    org = f.organization("Newcomer")
    with pytest.raises(PermissionDenied):
        services.partnership_add(
            actor=steward,
            initiative=initiative,
            organization=org,
            kind=PartnerKind.PARTNER,
            joined_on=date(2024, 1, 1),
        )
    assert not Partnership.objects.filter(organization=org).exists()
    assert not AuditEvent.objects.exists()


def test_role_change_with_an_old_version_is_a_conflict(setup):
    _, _, partner, admin = setup
    person = f.member(partner.organization, Role.MEMBER)
    membership = Membership.objects.get(user=person)
    services.membership_change_role(
        actor=admin,
        partnership=partner,
        membership=membership,
        role=Role.DATA_STEWARD,
        expected_version=1,
    )
    with pytest.raises(ConflictError):
        services.membership_change_role(
            actor=admin,
            partnership=partner,
            membership=Membership.objects.get(pk=membership.pk),
            role=Role.FUNDER,
            expected_version=1,
        )
    membership.refresh_from_db()
    assert membership.role == Role.DATA_STEWARD
    assert membership.version == 2


def test_conflicting_role_change_through_the_page_shows_a_plain_message(client, setup):
    initiative, _, partner, admin = setup
    person = f.member(partner.organization, Role.MEMBER)
    membership = Membership.objects.get(user=person)
    Membership.objects.filter(pk=membership.pk).update(version=2)  # someone else saved first
    client.force_login(admin)
    url = reverse(
        "core:change_member_role",
        args=[initiative.slug, partner.organization_id, membership.pk],
    )
    response = client.post(
        url, {f"m{membership.pk}-role": Role.FUNDER, f"m{membership.pk}-version": 1}, follow=True
    )
    assert "changed this while you were editing it" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_initiative_settings_validate_the_threshold(setup):
    initiative, _, _, admin = setup
    with pytest.raises(ValidationError):
        services.initiative_update(
            actor=admin,
            initiative=initiative,
            data={"suppression_threshold": 0},
            expected_version=initiative.version,
        )
    initiative.refresh_from_db()
    assert initiative.suppression_threshold == 10


def test_settings_choose_open_comparison_and_the_shift_rule_within_its_range(setup):
    initiative, _, _, admin = setup
    for bad in (5, 13):
        with pytest.raises(ValidationError) as caught:
            services.initiative_update(
                actor=admin,
                initiative=initiative,
                data={"shift_length": bad},
                expected_version=initiative.version,
            )
        assert "shift_length" in caught.value.message_dict
    services.initiative_update(
        actor=admin,
        initiative=initiative,
        data={"shift_length": 7, "open_comparison": True},
        expected_version=initiative.version,
    )
    initiative.refresh_from_db()
    assert (initiative.shift_length, initiative.open_comparison) == (7, True)
    event = AuditEvent.objects.filter(action="initiative.update").latest("pk")
    assert event.after == {"shift_length": 7, "open_comparison": True}


def test_admin_adds_a_new_organization_as_partner_through_the_page(client, setup):
    initiative, *_, admin = setup
    client.force_login(admin)
    url = reverse("core:manage_partners", args=[initiative.slug])
    response = client.post(
        url,
        {
            "name": "Westside Library",
            "sector": "education",
            "kind": "partner",
            "joined_on": "2024-03-01",
        },
    )
    assert response.status_code == 302
    partnership = Partnership.objects.get(organization__name="Westside Library")
    assert partnership.kind == PartnerKind.PARTNER
    assert partnership.joined_on == date(2024, 3, 1)
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        "organization.create",
        "partnership.add",
    ]


def test_add_partner_form_explains_what_is_missing(client, setup):
    initiative, *_, admin = setup
    client.force_login(admin)
    response = client.post(
        reverse("core:manage_partners", args=[initiative.slug]),
        {"kind": "partner", "joined_on": "2024-03-01"},
    )
    assert response.status_code == 422
    assert "Choose an existing organization or name a new one." in response.content.decode()
    assert Partnership.objects.count() == 2


def test_removing_a_partner_from_the_page_asks_first(client, setup):
    initiative, _, partner, admin = setup
    client.force_login(admin)
    url = reverse("core:remove_partnership", args=[initiative.slug, partner.organization_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "Remove Eastside Clinic from" in page.content.decode()
    assert Partnership.objects.filter(pk=partner.pk).exists()
    assert client.post(url).status_code == 302
    assert not Partnership.objects.filter(pk=partner.pk).exists()
    assert AuditEvent.objects.filter(action="partnership.remove").count() == 1


def test_removing_a_person_asks_first_and_a_steward_cannot_remove_an_admin(client, setup):
    initiative, _, partner, admin = setup
    steward = f.member(partner.organization, Role.DATA_STEWARD)
    admin_in_partner = f.member(partner.organization, Role.BACKBONE_ADMIN)
    membership = Membership.objects.get(user=admin_in_partner)
    url = reverse(
        "core:remove_member", args=[initiative.slug, partner.organization_id, membership.pk]
    )
    client.force_login(steward)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    client.force_login(admin)
    assert "Remove " in client.get(url).content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    client.post(url)
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_stale_settings_edit_through_the_page_keeps_the_other_change_and_shows_it(client, setup):
    initiative, *_, admin = setup
    other = f.backbone_admin(initiative, email="other.admin@example.org")
    services.initiative_update(
        actor=other,
        initiative=initiative,
        data={"vision": "Every child reads by third grade."},
        expected_version=1,
    )
    client.force_login(admin)
    url = reverse("core:manage_settings", args=[initiative.slug])
    response = client.post(
        url,
        {
            "name": "Renamed",
            "vision": "Old vision",
            "suppression_threshold": 10,
            "needle_threshold": 10,
            "needle_basis": "relative",
            "shift_length": 8,
            "version": 1,
        },
    )
    assert response.status_code == 302 and response.url == url
    page = client.get(url).content.decode()
    assert "other.admin@example.org changed this while you were editing it" in page
    assert "Every child reads by third grade." in page  # the fresh value is in the form
    assert 'name="version" value="2"' in page
    initiative.refresh_from_db()
    assert (initiative.name, initiative.vision) != ("Renamed", "Old vision")
    assert initiative.vision == "Every child reads by third grade."
