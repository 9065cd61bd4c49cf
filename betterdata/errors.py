from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from core.logs import NO_REQUEST, current_request_id


def not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def forbidden(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "errors/403.html", {"message": message}, status=403)


def bad_request(request, exception=None):
    # The API speaks problem+json even when the request never reached its views (a NUL in the
    # query string, a bad Host header).
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": "about:blank",
                "title": "Bad request",
                "status": 400,
                "detail": str(exception) if exception else "The request was malformed.",
            },
            status=400,
            content_type="application/problem+json",
        )
    return render(request, "errors/400.html", status=400)


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: our own 403 page, not Django's (which hints at DEBUG and carries an
    inline style the CSP refuses). The usual cause is a form left open past its session."""
    message = (
        "This form has expired or was sent from another site. Go back, reload the page and "
        "try again."
    )
    return render(request, "errors/403.html", {"message": message}, status=403)


def server_error(request):
    """The 500 page gives the request id to quote (core/logs.py); it says someone was notified
    only when Sentry or ADMINS mail is configured (settings.ERRORS_NOTIFY)."""
    reference = getattr(request, "request_id", "") or current_request_id()
    context = {
        "request_id": "" if reference == NO_REQUEST else reference,
        "notified": settings.ERRORS_NOTIFY,
    }
    return render(request, "errors/500.html", context, status=500)
