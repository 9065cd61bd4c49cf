"""Demo partnerships (DESIGN.md §7) with the locations each one shares."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from orgs.models import (
    Location,
    Organization,
    OrganizationRelationship,
    Party,
    PartyContact,
    RelationshipStatus,
)

from .models import (
    Invitation,
    InvitationStatus,
    Message,
    Partnership,
    PartnershipStatus,
)

PARTNERSHIPS = [
    # network side, partner, relationship, role, shared locations, terms
    (
        "ORG-003",
        "ORG-101",
        "PARTNER",
        "THREE_PL",
        ["LOC-101", "LOC-102", "LOC-103"],
        "FBA storage and fulfilment. Storage billed monthly per unit; receipts confirmed within 48 h.",
    ),
    (
        "ORG-003",
        "ORG-102",
        "PARTNER",
        "VMI_RETAILER",
        ["LOC-104"],
        "Vendor-managed inventory at Sephora DC. Title transfers on store sale; weekly batch invoices.",
    ),
    (
        "ORG-002",
        "ORG-201",
        "PARTNER",
        "SUPPLIER",
        [],
        "Packaging components, FOB Shenzhen, net 45.",
    ),
    ("ORG-002", "ORG-202", "PARTNER", "SUPPLIER", [], "Vitamin actives, net 30."),
    ("ORG-002", "ORG-203", "PARTNER", "SUPPLIER", [], "Botanical extracts, net 30."),
    ("ORG-002", "ORG-204", "PARTNER", "SUPPLIER", [], "Pumps and dispensers, net 60."),
    ("ORG-002", "ORG-205", "PARTNER", "SUPPLIER", [], "Labels and printed cartons, net 30."),
    (
        "ORG-002",
        "ORG-301",
        "PARTNER",
        "CUSTOMER",
        [],
        "Wholesale professional line, quarterly POs.",
    ),
    # LOC-002 (Los Angeles DC) is shared with two partners of LUXE BOND Distribution: both see
    # LUXE BOND's stock there, and each only its own documents (docs/visibility.md).
    (
        "ORG-003",
        "ORG-301",
        "PARTNER",
        "CUSTOMER",
        ["LOC-002"],
        "Salon pick-ups at the Los Angeles DC, booked 48 h ahead; net 30.",
    ),
    (
        "ORG-003",
        "ORG-202",
        "PARTNER",
        "SUPPLIER",
        ["LOC-002"],
        "Co-packed vitamin C serum delivered to the Los Angeles DC; net 30.",
    ),
    ("ORG-401", "ORG-201", "PARTNER", "SUPPLIER", [], "Medical packaging, net 45."),
    ("ORG-402", "ORG-201", "PARTNER", "SUPPLIER", [], "Component trays, net 45."),
]


def seed(stdout=None) -> None:
    orgs = {o.code: o for o in Organization.objects.all()}  # unscoped: the seed builds the world
    for parent, child, rel_type, role, shared, terms in PARTNERSHIPS:
        # Create-if-absent: an ended partnership (relationship INACTIVE), edited terms, role or
        # shared locations are the user's and stay exactly as they are.
        rel, _ = OrganizationRelationship.objects.get_or_create(
            parent=orgs[parent],
            child=orgs[child],
            defaults={"type": rel_type, "status": RelationshipStatus.ACTIVE},
        )
        partnership, created = Partnership.objects.get_or_create(
            relationship=rel,
            defaults={
                "role": role,
                "status": PartnershipStatus.ACTIVE,
                "terms": terms,
                "started_at": timezone.now(),
            },
        )
        if created:
            partnership.shared_locations.set(Location.objects.filter(code__in=shared))

    _seed_messages(orgs)
    _seed_pending_invitation(orgs)
    _seed_party_contacts(orgs)


MESSAGES = [
    # network side, partner, [(author email, author org, body)]
    (
        "ORG-003",
        "ORG-101",
        [
            (
                "admin@dist.luxebond.example",
                "ORG-003",
                "ASN for the October replenishment to PHX5 goes out Monday: 1,200 units.",
            ),
            (
                "ops@amazon.example",
                "ORG-101",
                "Thanks — PHX5 dock is booked for Wednesday morning.",
            ),
            (
                "admin@dist.luxebond.example",
                "ORG-003",
                "Please report any damaged cartons as a discrepancy on the receipt.",
            ),
        ],
    ),
    (
        "ORG-003",
        "ORG-102",
        [
            (
                "vmi@sephora.example",
                "ORG-102",
                "Sell-through is up to 45 units/day; days of supply at the DC is 44.",
            ),
            (
                "admin@dist.luxebond.example",
                "ORG-003",
                "Noted. Next VMI replenishment is planned when cover drops under 30 days.",
            ),
        ],
    ),
]


def _seed_messages(orgs) -> None:
    users = {u.email: u for u in get_user_model().objects.all()}
    for parent, child, rows in MESSAGES:
        partnership = Partnership.objects.get(
            relationship__parent=orgs[parent], relationship__child=orgs[child]
        )
        if Message.objects.filter(partnership=partnership).exists():
            continue
        for email, org_code, body in rows:
            Message.objects.create(
                partnership=partnership,
                author=users.get(email),
                author_org=orgs[org_code],
                body=body,
            )


def _seed_pending_invitation(orgs) -> None:
    """One pending invitation (its link is unknown: only a hash of the token is stored)."""
    email = "vendor@nordstrom.example"
    if Invitation.objects.filter(inviting_org=orgs["ORG-003"], email=email).exists():
        return
    invitation = Invitation.objects.create(
        inviting_org=orgs["ORG-003"],
        invited_by=get_user_model().objects.filter(email="admin@dist.luxebond.example").first(),
        email=email,
        company_name="Nordstrom Inc.",
        relationship_type="PARTNER",
        role="RETAILER",
        terms="Wholesale retail partner, net 60. Quarterly assortment review.",
        token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        status=InvitationStatus.PENDING,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    invitation.shared_locations.set(Location.objects.filter(code="LOC-004"))


def _seed_party_contacts(orgs) -> None:
    ulta = Party.objects.filter(owner=orgs["ORG-003"], name="Ulta Beauty Inc.").first()
    if ulta is None:
        return
    for name, title, email in [
        ("Jordan Miles", "Category buyer, prestige skincare", "jmiles@ulta.example"),
        ("Ava Torres", "Inbound logistics", "atorres@ulta.example"),
    ]:
        PartyContact.objects.get_or_create(
            party=ulta, name=name, defaults={"title": title, "email": email}
        )
