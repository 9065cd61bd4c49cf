"""The far end of a document, as the viewer may see it (docs/visibility.md).

Shipments, ASNs, receipts, transfers and purchase orders name locations. A viewer sees a
location's code and name only when the location is in its scope; any other location is shown
as the organization that operates it ("LUXE BOND Manufacturing LLC", never "LOC-005 Fort Worth
Manufacturing Plant"). Every list, detail, CSV, PDF and email renders ends through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .access import Scope
    from .models import Location, Organization, Party


@dataclass(frozen=True)
class End:
    code: str
    name: str
    detail: str = ""
    is_org: bool = False

    @property
    def text(self) -> str:
        """One line for CSV cells and plain-text emails."""
        return f"{self.code} {self.name}".strip()


def location_end(scope: Scope, location: Location | None, fallback_org_name: str = "") -> End:
    """A location the viewer may see, or else its operator (load `location.operator` with it)."""
    if location is None:
        return End("", fallback_org_name, is_org=True)
    if scope.is_platform_staff or location.pk in scope.location_ids:
        return End(location.code, location.name, location.city)
    return End(location.operator.code, location.operator.name, is_org=True)


def party_end(scope: Scope, party: Party) -> End:
    if scope.owns(party.owner_id):
        return End(party.reference, party.name, "Party (no account)")
    return End("", "External party", is_org=True)


def location_end_for_org(org: Organization, location: Location | None, fallback: str = "") -> End:
    """The end as the admins of `org` see it: for emails, which are rendered per recipient
    organization and have no request scope."""
    from .access import scope_for_org_as_role

    return location_end(scope_for_org_as_role(org), location, fallback)
