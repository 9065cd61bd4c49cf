"""Demo partnerships (DESIGN.md §7) with the locations each one shares."""

from django.utils import timezone

from orgs.models import Location, Organization, OrganizationRelationship, RelationshipStatus

from .models import Partnership, PartnershipStatus

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
    ("ORG-401", "ORG-201", "PARTNER", "SUPPLIER", [], "Medical packaging, net 45."),
    ("ORG-402", "ORG-201", "PARTNER", "SUPPLIER", [], "Component trays, net 45."),
]


def seed(stdout=None) -> None:
    orgs = {o.code: o for o in Organization.objects.all()}  # unscoped: the seed builds the world
    for parent, child, rel_type, role, shared, terms in PARTNERSHIPS:
        rel, _ = OrganizationRelationship.objects.update_or_create(
            parent=orgs[parent],
            child=orgs[child],
            defaults={"type": rel_type, "status": RelationshipStatus.ACTIVE},
        )
        partnership, created = Partnership.objects.update_or_create(
            relationship=rel,
            defaults={"role": role, "status": PartnershipStatus.ACTIVE, "terms": terms},
        )
        if created or partnership.started_at is None:
            partnership.started_at = timezone.now()
            partnership.save(update_fields=["started_at"])
        partnership.shared_locations.set(Location.objects.filter(code__in=shared))
