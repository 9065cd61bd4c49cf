from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Two-factor sign-in (docs/security-two-factor.md): the second step after "login".
    path("login/verify/", two_factor_views.login_verify, name="login_verify"),
    path("two-factor/", two_factor_views.two_factor, name="two_factor"),
    path("two-factor/start/", two_factor_views.two_factor_start, name="two_factor_start"),
    path("two-factor/setup/", two_factor_views.two_factor_setup, name="two_factor_setup"),
    path(
        "two-factor/backup-codes/",
        two_factor_views.two_factor_backup_codes,
        name="two_factor_backup_codes",
    ),
    path("two-factor/disable/", two_factor_views.two_factor_disable, name="two_factor_disable"),
    path("profile/", views.profile, name="profile"),
    path("switch/", views.switch_organization, name="switch_organization"),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password_set_done"),
            template_name="registration/password_set_confirm.html",
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_set_done.html"
        ),
        name="password_set_done",
    ),
]
