from django.urls import path

from . import views

app_name = "partnerships"

urlpatterns = [
    path("partnerships/", views.partnership_list, name="partnership_list"),
    path("partnerships/invite/", views.invite, name="invite"),
    path(
        "partnerships/invitations/<uuid:public_id>/<str:action>/",
        views.invitation_action,
        name="invitation_action",
    ),
    path("partnerships/preview/stop/", views.preview_stop, name="preview_stop"),
    path("partnerships/parties/", views.party_list, name="party_list"),
    path("partnerships/parties/<uuid:public_id>/", views.party_detail, name="party_detail"),
    path("partnerships/<uuid:public_id>/", views.partnership_detail, name="partnership_detail"),
    path(
        "partnerships/<uuid:public_id>/welcome/",
        views.partnership_welcome,
        name="partnership_welcome",
    ),
    path("partnerships/<uuid:public_id>/edit/", views.partnership_edit, name="partnership_edit"),
    path("partnerships/<uuid:public_id>/end/", views.partnership_end, name="partnership_end"),
    path(
        "partnerships/<uuid:public_id>/messages/",
        views.partnership_messages,
        name="partnership_messages",
    ),
    path("partnerships/<uuid:public_id>/preview/", views.preview_start, name="preview_start"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("notifications/<uuid:public_id>/read/", views.notification_read, name="notification_read"),
]
