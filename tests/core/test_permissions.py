"""The role × action table: who may do what to which object, and the pages that enforce it.

The world: initiative A (private) with a backbone, two partner organizations X and Y, a funder and
a community group; initiative B (private) with its own backbone admin; initiative P (public), in
which nobody here takes part. Every role is tried against every action on every target.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from backbone.core import permissions, tenancy
from backbone.core.models import (
    Initiative,
    Membership,
    PartnerKind,
    Partnership,
    Role,
    User,
)
from backbone.core.permissions import (
    Action,
    can,
    grantable_roles,
    may_change_membership,
    may_report_for,
    may_see_history,
)
from backbone.measurement.models import Indicator
from tests import factories as f

pytestmark = pytest.mark.django_db


@dataclass
class World:
    a: Initiative
    b: Initiative
    public: Initiative
    x: Partnership  # partner organization X in A
    y: Partnership  # partner organization Y in A
    backbone: Partnership
    users: dict[str, User | AnonymousUser]
    a_public_indicator: Indicator
    a_private_indicator: Indicator
    p_public_indicator: Indicator
    p_private_indicator: Indicator


ROLES = [
    "anonymous",
    "community_member",
    "member",
    "data_steward",
    "funder",
    "backbone_admin",
    "admin_role_in_partner_org",
    "other_initiative_admin",
    "superuser",
]


@pytest.fixture
def world() -> World:
    a = f.initiative("a", name="A")
    b = f.initiative("b", name="B")
    public = f.initiative("p", name="P", is_public=True)
    backbone = f.partnership(a, kind=PartnerKind.BACKBONE)
    x = f.partnership(a, f.organization("X"))
    y = f.partnership(a, f.organization("Y"))
    funder_org = f.partnership(a, kind=PartnerKind.FUNDER).organization
    community_org = f.partnership(a, kind=PartnerKind.COMMUNITY).organization
    b_backbone = f.partnership(b, kind=PartnerKind.BACKBONE).organization
    f.partnership(public, kind=PartnerKind.BACKBONE)
    users: dict[str, User | AnonymousUser] = {
        "anonymous": AnonymousUser(),
        "community_member": f.member(community_org, Role.COMMUNITY_MEMBER),
        "member": f.member(x.organization, Role.MEMBER),
        "data_steward": f.member(x.organization, Role.DATA_STEWARD),
        "funder": f.member(funder_org, Role.FUNDER),
        "backbone_admin": f.member(backbone.organization, Role.BACKBONE_ADMIN),
        # Holding the admin role in an organization that is only a partner gives no admin rights.
        "admin_role_in_partner_org": f.member(y.organization, Role.BACKBONE_ADMIN),
        "other_initiative_admin": f.member(b_backbone, Role.BACKBONE_ADMIN),
        "superuser": User.objects.create_superuser("root@example.org", "x"),
    }
    return World(
        a=a,
        b=b,
        public=public,
        x=x,
        y=y,
        backbone=backbone,
        users=users,
        a_public_indicator=f.indicator(a, "a-pub", is_public=True),
        a_private_indicator=f.indicator(a, "a-priv"),
        p_public_indicator=f.indicator(public, "p-pub", is_public=True),
        p_private_indicator=f.indicator(public, "p-priv"),
    )


# Who is allowed, per (action, target); every role not listed is denied.
A_PARTICIPANTS = {
    "community_member",
    "member",
    "data_steward",
    "funder",
    "backbone_admin",
    "admin_role_in_partner_org",
    "superuser",
}
ADMINS = {"backbone_admin", "superuser"}
TABLE: list[tuple[Action, str, set[str]]] = [
    (Action.VIEW_INITIATIVE, "a", A_PARTICIPANTS),
    (Action.VIEW_INITIATIVE, "public", set(ROLES)),
    (Action.VIEW_INITIATIVE, "b", {"other_initiative_admin", "superuser"}),
    (Action.VIEW_PRIVATE, "a", A_PARTICIPANTS),
    (Action.VIEW_PRIVATE, "b", {"other_initiative_admin", "superuser"}),
    (Action.VIEW_PRIVATE, "public", {"superuser"}),
    (Action.MANAGE_INITIATIVE, "a", ADMINS),
    (Action.MANAGE_INITIATIVE, "b", {"other_initiative_admin", "superuser"}),
    (Action.MANAGE_PARTNERS, "a", ADMINS),
    (Action.MANAGE_PARTNERS, "public", {"superuser"}),
    (Action.VIEW_AUDIT, "a", ADMINS),
    (Action.VIEW_ORGANIZATION, "x", A_PARTICIPANTS),
    (Action.VIEW_MEMBERS, "x", {"member", "data_steward", *ADMINS}),
    (Action.VIEW_MEMBERS, "y", {"admin_role_in_partner_org", *ADMINS}),
    (Action.MANAGE_MEMBERS, "x", {"data_steward", *ADMINS}),
    # A partner's data steward cannot manage another organization's members.
    (Action.MANAGE_MEMBERS, "y", ADMINS),
    (Action.MANAGE_MEMBERS, "backbone", ADMINS),
    # Shared measurement: the backbone owns the library and reviews; stewards report their own.
    (Action.MANAGE_MEASUREMENT, "a", ADMINS),
    (Action.MANAGE_MEASUREMENT, "public", {"superuser"}),
    (Action.REVIEW_DATA, "a", ADMINS),
    (Action.REVIEW_DATA, "b", {"other_initiative_admin", "superuser"}),
    # The learning agenda is the backbone's to keep (everyone taking part reads it: VIEW_PRIVATE).
    (Action.MANAGE_LEARNING, "a", ADMINS),
    (Action.MANAGE_LEARNING, "b", {"other_initiative_admin", "superuser"}),
    (Action.MANAGE_LEARNING, "public", {"superuser"}),
    (Action.REPORT_DATA, "x", {"data_steward", *ADMINS}),
    (Action.REPORT_DATA, "y", ADMINS),
    (Action.VIEW_INDICATOR, "a_public_indicator", A_PARTICIPANTS),
    (Action.VIEW_INDICATOR, "a_private_indicator", A_PARTICIPANTS),
    (Action.VIEW_INDICATOR, "p_public_indicator", set(ROLES)),
    # A private indicator of a public initiative is never shown to outsiders.
    (Action.VIEW_INDICATOR, "p_private_indicator", {"superuser"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "target", "allowed"), TABLE, ids=lambda v: str(v)[:30])
def test_permission_table(world, role, action, target, allowed):
    assert can(world.users[role], action, getattr(world, target)) is (role in allowed)


@pytest.mark.parametrize("role", ROLES)
def test_actions_on_the_wrong_kind_of_target_are_denied(world, role):
    user = world.users[role]
    assert not can(user, Action.MANAGE_MEMBERS, world.a)
    assert not can(user, Action.MANAGE_PARTNERS, world.x)
    assert not can(user, Action.REPORT_DATA, world.a)
    assert not can(user, Action.VIEW_INDICATOR, world.a)
    assert not can(user, Action.REVIEW_DATA, world.a_public_indicator)
    assert not can(user, Action.MANAGE_LEARNING, world.x)
    assert not can(user, Action.MANAGE_LEARNING, world.a_private_indicator)


@pytest.mark.parametrize("role", ROLES)
def test_visible_initiatives_query_agrees_with_can(world, role):
    user = world.users[role]
    listed = set(tenancy.visible_initiatives(user))
    for initiative in (world.a, world.b, world.public):
        assert (initiative in listed) is can(user, Action.VIEW_INITIATIVE, initiative)


def test_inactive_user_is_treated_as_anonymous(world):
    admin = world.users["backbone_admin"]
    admin.is_active = False
    admin.save()
    admin = User.objects.get(pk=admin.pk)
    assert not can(admin, Action.VIEW_INITIATIVE, world.a)
    assert not can(admin, Action.MANAGE_PARTNERS, world.a)


def test_backbone_admin_role_is_grantable_only_in_the_backbone_organization(world):
    admin = world.users["backbone_admin"]
    assert Role.BACKBONE_ADMIN in grantable_roles(admin, world.backbone)
    assert Role.BACKBONE_ADMIN not in grantable_roles(admin, world.x)


def test_data_steward_grants_only_non_admin_roles_in_own_organization(world):
    steward = world.users["data_steward"]
    assert set(grantable_roles(steward, world.x)) == {
        Role.DATA_STEWARD,
        Role.MEMBER,
        Role.FUNDER,
        Role.COMMUNITY_MEMBER,
    }
    assert grantable_roles(steward, world.y) == []
    assert grantable_roles(world.users["member"], world.x) == []


def test_data_steward_cannot_change_an_admin_in_their_own_organization(world):
    steward = world.users["data_steward"]
    admin_in_x = f.member(world.x.organization, Role.BACKBONE_ADMIN)
    membership = Membership.objects.get(user=admin_in_x)
    assert not may_change_membership(steward, membership, world.x)
    member_membership = Membership.objects.get(user=world.users["member"])
    assert may_change_membership(steward, member_membership, world.x)
    # A membership of another organization is never changed through this partnership.
    assert not may_change_membership(world.users["backbone_admin"], member_membership, world.y)


# --- The pages enforce the same rules -------------------------------------------------------


def test_steward_cannot_edit_another_organizations_members_through_the_pages(client, world):
    steward = world.users["data_steward"]
    victim = f.member(world.y.organization, Role.MEMBER)
    membership = Membership.objects.get(user=victim)
    client.force_login(steward)
    slug, y_org = world.a.slug, world.y.organization_id
    assert client.get(reverse("core:manage_members", args=[slug, y_org])).status_code == 403
    response = client.post(
        reverse("core:change_member_role", args=[slug, y_org, membership.pk]),
        {f"m{membership.pk}-role": Role.DATA_STEWARD, f"m{membership.pk}-version": 1},
    )
    assert response.status_code == 403
    response = client.post(reverse("core:remove_member", args=[slug, y_org, membership.pk]))
    assert response.status_code == 403
    response = client.post(
        reverse("core:manage_members", args=[slug, y_org]),
        {"email": "new@example.org", "role": Role.MEMBER},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER
    assert not world.y.organization.invitations.exists()


def test_changing_the_id_in_the_url_to_another_organizations_membership_is_refused(client, world):
    """A steward may manage X, but cannot reach a Y membership by putting its id in X's URL."""
    steward = world.users["data_steward"]
    victim = f.member(world.y.organization, Role.MEMBER)
    membership = Membership.objects.get(user=victim)
    client.force_login(steward)
    url = reverse("core:remove_member", args=[world.a.slug, world.x.organization_id, membership.pk])
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_member_of_initiative_a_sees_nothing_private_of_initiative_b(client, world):
    outsider = world.users["member"]  # takes part in A only
    b_org = Partnership.objects.get(initiative=world.b).organization_id
    client.force_login(outsider)
    for url in [
        reverse("core:initiative_home", args=["b"]),
        reverse("core:partner_list", args=["b"]),
        reverse("core:organization_detail", args=["b", b_org]),
        reverse("core:manage_members", args=["b", b_org]),
        reverse("core:manage_partners", args=["b"]),
        reverse("core:activity", args=["b"]),
    ]:
        assert client.get(url).status_code == 404, url
    home = client.get(reverse("core:home")).content.decode()
    assert ">A<" in home and ">B<" not in home
    orgs = client.get(reverse("core:organization_list")).content.decode()
    assert Partnership.objects.get(initiative=world.b).organization.name not in orgs


def test_anonymous_users_see_only_public_initiatives(client, world):
    home = client.get(reverse("core:home")).content.decode()
    assert ">P<" in home and ">A<" not in home and ">B<" not in home
    assert client.get(reverse("core:initiative_home", args=["p"])).status_code == 200
    assert client.get(reverse("core:partner_list", args=["p"])).status_code == 200
    assert client.get(reverse("core:initiative_home", args=["a"])).status_code == 404
    assert client.get(reverse("core:partner_list", args=["a"])).status_code == 404


def test_public_organization_page_hides_people_from_anonymous_users(client, world):
    org = Partnership.objects.get(initiative=world.public).organization
    someone = f.member(org, Role.MEMBER, email="hidden.person@example.org")
    page = client.get(reverse("core:organization_detail", args=["p", org.pk])).content.decode()
    assert org.name in page
    assert someone.email not in page


def test_manage_pages_send_anonymous_users_to_sign_in(client, world):
    response = client.get(reverse("core:manage_partners", args=["p"]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["member", "data_steward", "funder", "community_member"])
def test_only_admins_reach_the_management_pages(client, world, role):
    client.force_login(world.users[role])
    for name in ["manage_partners", "manage_settings", "activity"]:
        assert client.get(reverse(f"core:{name}", args=["a"])).status_code == 403
    response = client.post(reverse("core:remove_partnership", args=["a", world.y.organization_id]))
    assert response.status_code == 403
    assert Partnership.objects.filter(pk=world.y.pk).exists()


def test_backbone_admin_can_correct_a_stray_admin_role_in_a_partner_organization(world):
    stray = Membership.objects.get(user=world.users["admin_role_in_partner_org"])
    assert may_change_membership(world.users["backbone_admin"], stray, world.y)
    assert not may_change_membership(world.users["admin_role_in_partner_org"], stray, world.y)


@pytest.mark.parametrize("role", ROLES)
def test_only_platform_operators_run_the_platform(world, role):
    from backbone.core.permissions import COMMAND_LINE, is_operator, may_revoke_token

    user = world.users[role]
    assert is_operator(user) is (role == "superuser")
    assert is_operator(COMMAND_LINE)
    owner = world.users["member"]
    expected = role in {"superuser", "member"}
    assert may_revoke_token(user, owner.pk) is expected


def test_an_inactive_superuser_is_no_operator(world):
    from backbone.core.permissions import is_operator

    root = world.users["superuser"]
    root.is_active = False
    assert not is_operator(root)


# Reporting for an organization, and seeing a value's history, by whose value it is.
VALUE_OWNERS = {
    "x": {"report": {"data_steward", *ADMINS}, "history": {"data_steward", *ADMINS}},
    "y": {"report": ADMINS, "history": ADMINS},
    # A community-wide figure (no organization) is the backbone's to report and to trace.
    "community": {"report": ADMINS, "history": ADMINS},
    # An organization that is no partner here: nobody reports for it; only reviewers see.
    "stranger": {"report": set(), "history": ADMINS},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("owner", VALUE_OWNERS)
def test_who_reports_for_and_traces_whose_values(world, role, owner):
    org_id = {
        "x": world.x.organization_id,
        "y": world.y.organization_id,
        "community": None,
        "stranger": f.organization("Stranger").pk,
    }[owner]
    user = world.users[role]
    expected = VALUE_OWNERS[owner]
    assert may_report_for(user, world.a, org_id) is (role in expected["report"])
    assert may_see_history(user, world.a, org_id) is (role in expected["history"])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("open_comparison", [False, True])
def test_who_sees_learning_compares_peers_and_sees_their_names(world, role, open_comparison):
    a = world.a
    a.open_comparison = open_comparison
    user = world.users[role]
    # The learning agenda and peer comparisons are for the people who take part.
    assert permissions.may_see_learning(user, a) is (role in A_PARTICIPANTS)
    assert permissions.may_compare_peers(user, a) is (role in A_PARTICIPANTS)
    # Names: everyone taking part under open comparison, otherwise the backbone (who reviews).
    named = A_PARTICIPANTS if open_comparison else ADMINS
    assert permissions.may_see_peer_names(user, a) is (role in named)
    # Each sees its own organizations named.
    own = permissions.own_organization_ids(user, a)
    if role in ("member", "data_steward"):
        assert world.x.organization_id in own
    if role in ("anonymous", "other_initiative_admin"):
        assert own == frozenset()
