""" "View as partner" is the partnership's view, not the partner's tenant (finding 2 of the
isolation issue): previewing PackagePro from one of its customers' networks never opens what
PackagePro shares with its other customers, nor PackagePro's own private data."""

from __future__ import annotations

import pytest

from inventory.models import Product
from partnerships.models import Partnership
from procurement.models import PurchaseOrder

pytestmark = pytest.mark.django_db


def _partnership(parent: str, child: str) -> Partnership:
    return Partnership.objects.get(
        relationship__parent__code=parent, relationship__child__code=child
    )


def _preview(client, partnership: Partnership) -> None:
    assert client.post(f"/partnerships/{partnership.public_id}/preview/").status_code == 302


def test_medsupply_previewing_packagepro_cannot_read_luxe_bond(login):
    luxe_bond_pos = list(
        PurchaseOrder.objects.filter(buyer__code="ORG-002", supplier_org__code="ORG-201")
    )
    assert luxe_bond_pos, "the demo has LUXE BOND purchase orders to PackagePro"
    luxe_bond_link = _partnership("ORG-002", "ORG-201")
    medsupply = login("admin@medsupply.example")
    _preview(medsupply, _partnership("ORG-401", "ORG-201"))

    # What the attacker read before: LUXE BOND's POs, prices and partnership terms.
    listing = medsupply.get("/purchase-orders/")
    assert listing.status_code == 200
    for po in luxe_bond_pos:
        assert medsupply.get(f"/purchase-orders/{po.public_id}/").status_code == 404, po.number
    assert "ORG-002" not in listing.content.decode()
    assert medsupply.get(f"/partnerships/{luxe_bond_link.public_id}/").status_code == 404
    assert "ORG-002" not in medsupply.get("/partnerships/").content.decode()
    # The scope itself is narrowed: nothing of LUXE BOND is a visible counterparty.
    scope = medsupply.get("/dashboard/").context["scope"]
    assert scope.read_only and scope.lens is not None
    assert not scope.partner_org_ids & set(
        Partnership.objects.filter(
            relationship__parent__code__in=["ORG-002", "ORG-001"]
        ).values_list("relationship__parent_id", flat=True)
    )


def test_luxe_bond_previewing_packagepro_cannot_read_medsupply_or_packagepro_private_data(login):
    medsupply_link = _partnership("ORG-401", "ORG-201")
    own_product = Product.objects.filter(owner__code="ORG-201").first()
    assert own_product is not None
    admin = login("admin@mfg.luxebond.example")
    _preview(admin, _partnership("ORG-002", "ORG-201"))

    assert admin.get(f"/partnerships/{medsupply_link.public_id}/").status_code == 404
    assert "ORG-401" not in admin.get("/partnerships/").content.decode()
    assert "ORG-401" not in admin.get("/network/").content.decode()
    # PackagePro's own catalog is its business, not the partnership's.
    assert own_product.sku not in admin.get("/products/").content.decode()
    assert admin.get(f"/products/{own_product.public_id}/").status_code == 404


def test_the_partner_itself_still_sees_both_customers(login):
    """The narrowing is the preview's, not PackagePro's: logged in, it sees both networks."""
    packagepro = login("admin@packagepro.example")
    page = packagepro.get("/partnerships/").content.decode()
    assert "ORG-002" in page and "ORG-401" in page
