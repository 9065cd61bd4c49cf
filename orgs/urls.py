from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("network/", views.network, name="network"),
    path("network/link/", views.relationship_create, name="relationship_create"),
    path("network/orgs/<uuid:public_id>/", views.organization_detail, name="organization_detail"),
    path(
        "network/orgs/<uuid:public_id>/members/invite/", views.member_invite, name="member_invite"
    ),
    path(
        "network/orgs/<uuid:public_id>/two-factor/",
        views.organization_two_factor,
        name="organization_two_factor",
    ),
    path(
        "network/orgs/<uuid:public_id>/add/",
        views.organization_add_child,
        name="organization_add_child",
    ),
    path("network/members/<uuid:public_id>/", views.member_edit, name="member_edit"),
    path("network/audit/", views.audit_log, name="audit_log"),
    path("network/audit/export/", views.audit_log_export, name="audit_log_export"),
    path(
        "network/member-invitations/<uuid:public_id>/<str:action>/",
        views.member_invitation_action,
        name="member_invitation_action",
    ),
    # A membership invitation's link (public: the token is the credential).
    path("join/<str:token>/", views.join, name="join"),
    # Parties sit beside partnerships in the menu; the paths predate their move to orgs.
    path("partnerships/parties/", views.party_list, name="party_list"),
    path("partnerships/parties/<uuid:public_id>/", views.party_detail, name="party_detail"),
    path("locations/", views.locations, name="locations"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<uuid:public_id>/", views.location_detail, name="location_detail"),
]
