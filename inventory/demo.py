"""Demo catalog: LUXE BOND's Health & Beauty line (owned by LUXE BOND Distribution, ORG-003).

The inventory issue adds lots, stock at every location and 12 months of movements; the
shipments issue reuses these SKUs.
"""

from decimal import Decimal

from orgs.models import Organization

from .models import Product

CATALOG_OWNER = "ORG-003"
CATALOG = [
    # sku, name, price (shared with partners), cost (never shown to partners)
    ("LB-SER-001", "Radiance Vitamin C Serum 30ml", "58.00", "14.20"),
    ("LB-SER-002", "Hyaluronic Hydration Serum 30ml", "54.00", "12.90"),
    ("LB-CRM-001", "Peptide Night Cream 50ml", "64.00", "16.40"),
    ("LB-CRM-002", "Daily Defense Moisturizer SPF 30 50ml", "46.00", "11.10"),
    ("LB-CLN-001", "Gentle Foaming Cleanser 150ml", "28.00", "6.30"),
    ("LB-TON-001", "Botanical Balancing Toner 200ml", "32.00", "7.40"),
    ("LB-MSK-001", "Clay Detox Mask 75ml", "38.00", "8.80"),
    ("LB-EYE-001", "Caffeine Eye Cream 15ml", "44.00", "10.50"),
    ("LB-OIL-001", "Rosehip Facial Oil 30ml", "52.00", "12.00"),
    ("LB-SUN-001", "Mineral Sunscreen SPF 50 100ml", "36.00", "8.20"),
    ("LB-HAI-001", "Bond Repair Hair Treatment 100ml", "48.00", "11.60"),
    ("LB-BOD-001", "Shea Body Butter 200ml", "34.00", "7.90"),
]


def seed(stdout=None) -> dict[str, Product]:
    owner = Organization.objects.get(code=CATALOG_OWNER)  # unscoped: the seed builds the world
    products = {}
    for sku, name, price, cost in CATALOG:
        products[sku], _ = Product.objects.update_or_create(
            owner=owner,
            sku=sku,
            defaults={"name": name, "price": Decimal(price), "cost": Decimal(cost)},
        )
    return products
