from django.urls import path

from .views import invitations, partnerships, preview

app_name = "partnerships"

urlpatterns = [
    path("partnerships/", partnerships.partnership_list, name="partnership_list"),
    path("partnerships/invite/", invitations.invite, name="invite"),
    path(
        "partnerships/invitations/<uuid:public_id>/<str:action>/",
        invitations.invitation_action,
        name="invitation_action",
    ),
    path("partnerships/preview/stop/", preview.preview_stop, name="preview_stop"),
    path(
        "partnerships/<uuid:public_id>/",
        partnerships.partnership_detail,
        name="partnership_detail",
    ),
    path(
        "partnerships/<uuid:public_id>/welcome/",
        partnerships.partnership_welcome,
        name="partnership_welcome",
    ),
    path(
        "partnerships/<uuid:public_id>/edit/",
        partnerships.partnership_edit,
        name="partnership_edit",
    ),
    path(
        "partnerships/<uuid:public_id>/end/", partnerships.partnership_end, name="partnership_end"
    ),
    path(
        "partnerships/<uuid:public_id>/messages/",
        partnerships.partnership_messages,
        name="partnership_messages",
    ),
    path("partnerships/<uuid:public_id>/preview/", preview.preview_start, name="preview_start"),
    path("invitations/<str:token>/", invitations.accept_invitation, name="accept_invitation"),
]
