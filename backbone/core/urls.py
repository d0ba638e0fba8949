from django.urls import path

from backbone.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("i/<slug:slug>/", views.initiative_home, name="initiative_home"),
    path("i/<slug:slug>/partners/", views.partner_list, name="partner_list"),
    path(
        "i/<slug:slug>/organizations/<int:org_pk>/",
        views.organization_detail,
        name="organization_detail",
    ),
    path("i/<slug:slug>/manage/", views.manage_settings, name="manage_settings"),
    path("i/<slug:slug>/manage/activity/", views.activity, name="activity"),
    path("i/<slug:slug>/manage/partners/", views.manage_partners, name="manage_partners"),
    path(
        "i/<slug:slug>/manage/partners/<int:org_pk>/",
        views.edit_partnership,
        name="edit_partnership",
    ),
    path(
        "i/<slug:slug>/manage/partners/<int:org_pk>/remove/",
        views.remove_partnership,
        name="remove_partnership",
    ),
    path(
        "i/<slug:slug>/organizations/<int:org_pk>/members/",
        views.manage_members,
        name="manage_members",
    ),
    path(
        "i/<slug:slug>/organizations/<int:org_pk>/members/<int:membership_pk>/role/",
        views.change_member_role,
        name="change_member_role",
    ),
    path(
        "i/<slug:slug>/organizations/<int:org_pk>/members/<int:membership_pk>/remove/",
        views.remove_member,
        name="remove_member",
    ),
    path(
        "i/<slug:slug>/organizations/<int:org_pk>/invitations/<int:invitation_pk>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
]
