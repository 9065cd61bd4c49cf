from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.forms import render_form
from core.throttle import PASSWORD_RESET_LINK, throttled_page
from orgs.services.organizations import user_remember_active_organization, user_update_profile
from orgs.session import ACTIVE_ORG_SESSION_KEY

from .forms import ProfileForm
from .selectors import totp_device


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, initial={"full_name": request.user.full_name})
    if request.method == "POST" and form.is_valid():
        user_update_profile(user=request.user, full_name=form.cleaned_data["full_name"])
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    two_factor_on = totp_device(request.user, confirmed=True) is not None
    return render_form(
        request, "accounts/profile.html", {"form": form, "two_factor_on": two_factor_on}
    )


@login_required
@require_POST
def switch_organization(request):
    """Switch the active organization; only to one the user is an active member of."""
    wanted = request.POST.get("org", "")
    scope = request.scope
    choice = next((m for m in scope.memberships if m.public_id == wanted), None) if scope else None
    if choice is None:
        messages.error(request, "You are not a member of that organization.")
        return redirect("dashboard")
    request.session[ACTIVE_ORG_SESSION_KEY] = wanted
    # The next session (after logout, on another device) lands here too.
    user_remember_active_organization(user=request.user, organization_id=choice.org_id)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/dashboard/"
    return redirect(target or "/dashboard/")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's set-a-password link, throttled: a link that is not valid counts against the
    client's address; too many and every link is refused for a while (core/throttle.py)."""

    def dispatch(self, *args, **kwargs):
        request = self.request
        if (wait := PASSWORD_RESET_LINK.retry_after(request)) is not None:
            return throttled_page(request, wait, "password links that are not valid")
        response = super().dispatch(*args, **kwargs)
        if not getattr(self, "validlink", False):
            PASSWORD_RESET_LINK.record_failure(request)
        return response
