"""The demo network of DESIGN.md §7: organizations, hierarchy, locations, people, Ulta."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from core.enums import TIER_FOR_PLAN

from .models import (
    Location,
    Membership,
    Organization,
    OrganizationRelationship,
    Party,
    RelationshipStatus,
)

ORGANIZATIONS = [
    # code, name, org_type, plan, billing_mode, extra locations
    ("ORG-001", "LUXE BOND International Holdings", "PARENT_COMPANY", "ENTERPRISE", "MASTER", 0),
    ("ORG-002", "LUXE BOND Manufacturing LLC", "MANUFACTURER", "ENTERPRISE", "INCLUDED", 0),
    ("ORG-003", "LUXE BOND Distribution LLC", "DISTRIBUTOR", "ENTERPRISE", "INCLUDED", 0),
    ("ORG-101", "Amazon Fulfillment Services LLC", "THREE_PL", "FREE", "FREE", 0),
    ("ORG-102", "Sephora Inc.", "VMI_RETAILER", "FREE", "FREE", 0),
    ("ORG-201", "PackagePro Manufacturing Ltd", "SUPPLIER", "PRO", "ADD_ON", 1),
    ("ORG-202", "VitaSource Ltd", "SUPPLIER", "FREE", "FREE", 0),
    ("ORG-203", "BotaniTech Corporation", "SUPPLIER", "FREE", "FREE", 0),
    ("ORG-204", "PumpTech GmbH", "SUPPLIER", "FREE", "FREE", 0),
    ("ORG-205", "PrintMasters USA", "SUPPLIER", "FREE", "FREE", 0),
    ("ORG-301", "Salon Luxe Corporation", "CUSTOMER", "PRO", "ADD_ON", 0),
    ("ORG-401", "MedSupply Co", "PARENT_COMPANY", "ENTERPRISE", "MASTER", 0),
    ("ORG-402", "TechComponents Inc", "PARENT_COMPANY", "ENTERPRISE", "MASTER", 0),
]

# Owning links only; partner links are made with their partnerships (partnerships/demo.py).
HIERARCHY = [("ORG-001", "ORG-002", "SUBSIDIARY"), ("ORG-001", "ORG-003", "SUBSIDIARY")]

LOCATIONS = [
    # code, name, kind, operator, city, country
    ("LOC-001", "Dallas Distribution Center", "DC", "ORG-003", "Dallas", "US"),
    ("LOC-002", "Los Angeles Distribution Center", "DC", "ORG-003", "Los Angeles", "US"),
    ("LOC-003", "Edison Warehouse", "WAREHOUSE", "ORG-003", "Edison", "US"),
    ("LOC-004", "Miami Warehouse", "WAREHOUSE", "ORG-003", "Miami", "US"),
    ("LOC-005", "Fort Worth Manufacturing Plant", "PLANT", "ORG-002", "Fort Worth", "US"),
    ("LOC-101", "Amazon FBA PHX5", "FBA", "ORG-101", "Phoenix", "US"),
    ("LOC-102", "Amazon FBA MDW2", "FBA", "ORG-101", "Joliet", "US"),
    ("LOC-103", "Amazon FBA LGB8", "FBA", "ORG-101", "Rialto", "US"),
    ("LOC-104", "Sephora Distribution Center", "DC", "ORG-102", "Olive Branch", "US"),
    ("LOC-201", "PackagePro Shenzhen", "PLANT", "ORG-201", "Shenzhen", "CN"),
    ("LOC-202", "PackagePro Shanghai", "WAREHOUSE", "ORG-201", "Shanghai", "CN"),
    ("LOC-301", "Salon Luxe Central Warehouse", "WAREHOUSE", "ORG-301", "Chicago", "US"),
    ("LOC-401", "MedSupply Distribution Center", "DC", "ORG-401", "Columbus", "US"),
    ("LOC-402", "TechComponents Warehouse", "WAREHOUSE", "ORG-402", "San Jose", "US"),
]

PERSONAS = [
    # email, name, [(org, role, [member locations])]
    ("super@luxebond.example", "Sofia Laurent", [("ORG-001", "ORG_SUPER_ADMIN", [])]),
    ("admin@dist.luxebond.example", "Daniel Ortiz", [("ORG-003", "ORG_ADMIN", [])]),
    ("admin@mfg.luxebond.example", "Mei Chen", [("ORG-002", "ORG_ADMIN", [])]),
    ("member@dist.luxebond.example", "Marcus Reed", [("ORG-003", "MEMBER", ["LOC-001"])]),
    ("ops@amazon.example", "Priya Natarajan", [("ORG-101", "ORG_ADMIN", [])]),
    ("vmi@sephora.example", "Claire Dubois", [("ORG-102", "ORG_ADMIN", [])]),
    ("admin@packagepro.example", "Wei Zhang", [("ORG-201", "ORG_ADMIN", [])]),
    ("admin@vitasource.example", "Anna Kowalski", [("ORG-202", "ORG_ADMIN", [])]),
    ("admin@salonluxe.example", "Jasmine Brooks", [("ORG-301", "ORG_ADMIN", [])]),
    ("admin@medsupply.example", "Robert Hale", [("ORG-401", "ORG_SUPER_ADMIN", [])]),
    # Works for both LUXE BOND subsidiaries: shows the organization switcher in the header.
    (
        "buyer@luxebond.example",
        "Nina Patel",
        [
            ("ORG-002", "MEMBER", ["LOC-005"]),
            ("ORG-003", "MEMBER", ["LOC-002"]),
        ],
    ),
]

PARTIES = [
    (
        "ORG-003",
        "Ulta Beauty Inc.",
        "ORG-103",
        "RETAILER",
        "Vendor Operations",
        "vendorops@ulta.example",
    ),
]


# Long on purpose: the demo network (DESIGN.md) as data, top to bottom.
# Create-if-absent by natural key: a row that exists is never updated (an ended relationship, a
# deactivated member, an edited name or plan stay as the user left them).
def seed(stdout=None, reset_passwords: bool = False) -> dict[str, object]:
    orgs: dict[str, Organization] = {}
    for code, name, org_type, plan, billing, extra in ORGANIZATIONS:
        orgs[code], _ = Organization.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "org_type": org_type,
                "plan_tier": plan,
                "partnership_tier": TIER_FOR_PLAN[plan],
                "billing_mode": billing,
                "extra_location_addons": extra,
                "status": "ACTIVE",
            },
        )
    for parent, child, rel_type in HIERARCHY:
        OrganizationRelationship.objects.get_or_create(
            parent=orgs[parent],
            child=orgs[child],
            defaults={"type": rel_type, "status": RelationshipStatus.ACTIVE},
        )
    locations: dict[str, Location] = {}
    for code, name, kind, operator, city, country in LOCATIONS:
        locations[code], _ = Location.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "operator": orgs[operator],
                "city": city,
                "country": country,
                "is_active": True,
            },
        )
    User = get_user_model()
    for email, full_name, memberships in PERSONAS:
        user, created = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
        # Hashing is deliberately slow (~0.3 s each); a warm seed skips it.
        if created or reset_passwords:
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        for org_code, role, member_locations in memberships:
            _, joined = Membership.objects.get_or_create(
                user=user, organization=orgs[org_code], defaults={"role": role, "is_active": True}
            )
            # Location rights come with a new membership only: rights an admin took away stay so.
            if joined:
                for loc in member_locations:
                    assign_perm("orgs.operate_location", user, locations[loc])
    for owner, name, ref, kind, contact, email in PARTIES:
        Party.objects.get_or_create(
            owner=orgs[owner],
            name=name,
            defaults={
                "reference": ref,
                "kind": kind,
                "contact_name": contact,
                "contact_email": email,
            },
        )
    return {"orgs": orgs, "locations": locations}


LOGINS = [(email, ms[0][0], ms[0][1]) for email, _, ms in PERSONAS]
