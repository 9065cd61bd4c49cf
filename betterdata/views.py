from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render

from core.dashboard import dashboard_panels
from orgs.decorators import scoped_view


def home(request):
    return redirect("dashboard" if request.user.is_authenticated else "accounts:login")


@scoped_view
def dashboard(request):
    return render(request, "dashboard.html", {"panels": dashboard_panels(request.scope)})


def healthz(request):
    """Liveness: the process answers. Touches no database."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Readiness: the database answers, and Redis too when it is configured; 503 otherwise.
    Answers over plain HTTP (SECURE_REDIRECT_EXEMPT) within a few seconds even when a service
    hangs: the database's connect_timeout, Redis's 1 s socket timeouts."""
    from django.conf import settings

    checks: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report any failure as not ready, never a 500
        checks["database"] = f"error: {exc.__class__.__name__}"
        healthy = False
    if settings.REDIS_URL:
        try:
            import redis

            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
            )
            try:
                client.ping()
            finally:
                client.close()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
            healthy = False
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
