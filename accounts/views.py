from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.forms import render_form
from orgs.services.organizations import user_update_profile
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
    if scope is None or wanted not in {m.public_id for m in scope.memberships}:
        messages.error(request, "You are not a member of that organization.")
        return redirect("dashboard")
    request.session[ACTIVE_ORG_SESSION_KEY] = wanted
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/dashboard/"
    return redirect(target or "/dashboard/")
