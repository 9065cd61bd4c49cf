from core.dashboard import Panel

from .selectors import partnerships_for


def panels(scope) -> list[Panel]:
    partnerships = list(partnerships_for(scope).active()[:10])
    return [
        Panel("partnerships/_dashboard_partnerships.html", {"partnerships": partnerships}, order=10)
    ]
