"""Own-inventory flows as a user drives them: products, BOM, import, adjustments, transfers
(out, in transit, in), counts (sheet → variance → one batch), FEFO, expiring lots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from inventory.models import LedgerBatch, Product, StockBalance, StockMovement
from orgs.models import Location

from ..factories import (
    LocationFactory,
    Network,
    OrganizationFactory,
    ProductFactory,
    StockBalanceFactory,
    admin_of,
    child_org,
    logged_in,
    member_of,
    network,
    scope_of_user,
)


def _on_hand(owner, sku, location, lot=None) -> Decimal:
    qs = StockBalance.objects.filter(owner=owner, product__sku=sku, location=location)
    if lot is not None:
        qs = qs.filter(lot=lot)
    return sum((b.quantity for b in qs), Decimal(0))


def _in(days: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


@dataclass
class World:
    net: Network  # the distribution subsidiary `dist`, its admin, Dallas, LA and Edison
    miami: Location
    member: Any  # a MEMBER of the subsidiary, granted Dallas only
    packagepro: Any  # a PRO supplier with one product
    packagepro_admin: Any
    mfg: Any  # a sibling manufacturing subsidiary with a bulk product and its components
    mfg_admin: Any


@pytest.fixture
def w(db) -> World:
    """Stock of the subsidiary, by site: LA holds serum lot SER001-L2400 (expires in 25 days);
    Dallas two cream lots; Edison two lots of a second serum; Miami serum lot SER001-L2500 (in
    250 days) and cream. A year ago sunscreen arrived at Dallas (the snapshot's history)."""
    net = network()
    dist = net.dist
    miami = LocationFactory(operator=dist, name="Miami Warehouse", city="Miami")
    ser2 = ProductFactory(owner=dist, sku="LB-SER-002", name="Serum 2", price=Decimal("62.00"))
    for product, location, qty, lot, expiry in [
        (net.serum, net.la, 40, "SER001-L2400", _in(25)),
        (net.cream, net.dallas, 30, "CRM-A", _in(60)),
        (net.cream, net.dallas, 30, "CRM-B", _in(200)),
        (ser2, net.edison, 20, "S2-A", _in(90)),
        (ser2, net.edison, 50, "S2-B", _in(300)),
        (net.serum, miami, 60, "SER001-L2500", _in(250)),
        (net.cream, miami, 25, "CRM-M", _in(180)),
    ]:
        StockBalanceFactory(
            product=product, location=location, quantity=qty, lot=lot, expiry=expiry
        )
    StockBalanceFactory(
        product=net.sun,
        location=net.dallas,
        quantity=10,
        occurred_at=timezone.now() - dt.timedelta(days=365),
    )
    packagepro = OrganizationFactory(plan_tier="PRO", org_type="SUPPLIER", name="PackagePro")
    ProductFactory(owner=packagepro, sku="PP-BTL-030", name="Amber bottle 30ml")
    mfg = child_org(net.root, org_type="MANUFACTURER", name="Factory Manufacturing LLC")
    for sku in ("FG-SER-001-BULK", "RM-VITC-001", "PK-BTL-030", "PK-LBL-001"):
        ProductFactory(owner=mfg, sku=sku)
    return World(
        net=net,
        miami=miami,
        member=member_of(dist, locations=[net.dallas]),
        packagepro=packagepro,
        packagepro_admin=admin_of(packagepro),
        mfg=mfg,
        mfg_admin=admin_of(mfg),
    )


@pytest.fixture
def login(client, w):
    """login("admin") → the test client, logged in as the subsidiary's admin ("admin"), its
    member ("member"), PackagePro's admin ("packagepro") or the manufacturer's ("mfg")."""
    people = {
        "admin": w.net.admin,
        "member": w.member,
        "packagepro": w.packagepro_admin,
        "mfg": w.mfg_admin,
    }
    return lambda who: logged_in(client, people[who])


def test_create_and_edit_product_with_image_and_specs(login, w, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    c = login("packagepro")
    r = c.post(
        "/products/new/",
        {
            "sku": "pp-cap-024",
            "name": "Child-resistant cap 24mm",
            "price": "0.30",
            "cost": "0.11",
            "unit_of_measure": "EA",
            "specifications": "Neck: 24/410\nMaterial: PP",
            "is_active": "on",
            "image": SimpleUploadedFile("cap.png", buf.getvalue(), content_type="image/png"),
        },
    )
    assert r.status_code == 302
    product = Product.objects.get(owner=w.packagepro, sku="PP-CAP-024")
    assert product.specifications == {"Neck": "24/410", "Material": "PP"}
    assert product.image.name.startswith("products/") and (tmp_path / product.image.name).exists()
    page = c.get(f"/products/{product.public_id}/").content.decode()
    assert "PP-CAP-024" in page and "24/410" in page and "$0.11" in page
    r = c.post(
        f"/products/{product.public_id}/edit/",
        {
            "name": "Child-resistant cap 24mm (white)",
            "price": "0.32",
            "cost": "0.11",
            "unit_of_measure": "EA",
            "specifications": "",
            "is_active": "on",
            "action": "save",
        },
    )
    assert r.status_code == 302
    product.refresh_from_db()
    assert product.price == Decimal("0.32") and product.name.endswith("(white)")
    # The same SKU again is a clear form error.
    r = c.post(
        "/products/new/",
        {"sku": "PP-CAP-024", "name": "dup", "price": "1", "cost": "0", "unit_of_measure": "EA"},
    )
    assert r.status_code == 400 and "already exists" in r.content.decode()


def test_bill_of_materials(login, w):
    c = login("mfg")
    fg = Product.objects.get(owner=w.mfg, sku="FG-SER-001-BULK")
    r = c.post(
        f"/products/{fg.public_id}/edit/",
        {"action": "bom", "lines": "RM-VITC-001 0.004\nPK-BTL-030 1\nPK-LBL-001 2"},
    )
    assert r.status_code == 302
    page = c.get(f"/products/{fg.public_id}/").content.decode()
    assert "Bill of materials" in page and "RM-VITC-001" in page and "0.004" in page
    r = c.post(f"/products/{fg.public_id}/edit/", {"action": "bom", "lines": "NOPE-1 1"})
    assert r.status_code == 400 and "Unknown SKU NOPE-1" in r.content.decode()
    assert fg.bom_lines.count() == 3


def test_csv_import_creates_and_updates(login, w):
    c = login("packagepro")
    data = (
        b"sku,name,price,cost,unit_of_measure\n"
        b"PP-NEW-001,New tray,1.10,0.50,EA\nPP-BTL-030,Amber bottle 30ml v2,0.49,0.31,EA\n"
    )
    r = c.post("/products/import/", {"file": SimpleUploadedFile("p.csv", data)})
    assert r.status_code == 302
    owner = w.packagepro
    assert Product.objects.get(owner=owner, sku="PP-NEW-001").price == Decimal("1.10")
    assert Product.objects.get(owner=owner, sku="PP-BTL-030").name == "Amber bottle 30ml v2"


def test_adjustment_with_reason_posts_one_movement_and_double_click_posts_once(login, w):
    c = login("admin")
    owner, loc = w.net.dist, w.net.la
    serum = Product.objects.get(owner=owner, sku="LB-SER-001")
    lot = StockBalance.objects.filter(owner=owner, product=serum, location=loc).first()
    before = _on_hand(owner, "LB-SER-001", loc, lot.lot)
    data = {
        "location": loc.code,
        "product": serum.public_id,
        "quantity": "-3",
        "lot": lot.lot,
        "expiry": lot.expiry.isoformat(),
        "reason_code": "DAMAGED",
        "note": "crushed carton",
        "key": "dbl-click-1",
    }
    assert c.post("/inventory/adjust/", data).status_code == 302
    assert c.post("/inventory/adjust/", data).status_code == 302
    assert _on_hand(owner, "LB-SER-001", loc, lot.lot) == before - 3
    batch = LedgerBatch.objects.get(idempotency_key__endswith="dbl-click-1")
    assert batch.reason == "DAMAGED: crushed carton" and batch.movements.count() == 1


def test_member_adjusts_only_at_granted_location(login, w):
    c = login("member")
    serum = Product.objects.get(owner=w.net.dist, sku="LB-SER-001")
    ok = {
        "location": w.net.dallas.code,
        "product": serum.public_id,
        "quantity": "2",
        "reason_code": "FOUND",
        "key": "m1",
    }
    assert c.post("/inventory/adjust/", ok).status_code == 302
    r = c.post("/inventory/adjust/", ok | {"location": w.net.la.code, "key": "m2"})
    assert r.status_code == 400  # LA is not a choice for this member
    assert not LedgerBatch.objects.filter(idempotency_key__endswith=":m2").exists()


def test_transfer_fefo_out_in_transit_then_in(login, w):
    c = login("admin")
    owner, src, dst = w.net.dist, w.net.edison, w.miami
    serum = Product.objects.get(owner=owner, sku="LB-SER-002")
    lots = list(
        StockBalance.objects.filter(owner=owner, product=serum, location=src).order_by("expiry")
    )
    first = lots[0]
    qty = first.quantity + 5  # all of the first-expiring lot, then 5 from the next
    r = c.post(
        "/inventory/transfers/new/",
        {
            "from_location": src.code,
            "to_location": dst.code,
            "product": serum.public_id,
            "quantity": str(qty),
            "key": "t-1",
        },
    )
    assert r.status_code == 302
    transfer_url = r["Location"]
    page = c.get(transfer_url).content.decode()
    assert "In transit" in page and first.lot in page and lots[1].lot in page
    assert _on_hand(owner, "LB-SER-002", src, first.lot) == 0
    assert _on_hand(owner, "LB-SER-002", src, lots[1].lot) == lots[1].quantity - 5
    dst_before = _on_hand(owner, "LB-SER-002", dst)
    assert c.post(transfer_url).status_code == 302
    assert c.post(transfer_url).status_code == 302  # received twice: posted once
    assert _on_hand(owner, "LB-SER-002", dst) == dst_before + qty
    assert "Received" in c.get(transfer_url).content.decode()
    kinds = set(
        StockMovement.objects.filter(batch__reference=f"{src.code}→{dst.code}").values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"TRANSFER_OUT", "TRANSFER_IN"}


def test_fefo_pick_suggests_first_expiring_lot(login, w):
    owner, loc = w.net.dist, w.net.dallas
    serum = Product.objects.get(owner=owner, sku="LB-CRM-001")
    lots = list(
        StockBalance.objects.filter(owner=owner, product=serum, location=loc).order_by("expiry")
    )
    r = login("admin").get(
        f"/inventory/pick/?location={loc.code}&product={serum.public_id}&quantity=1"
    )
    table = r.content.decode().split('data-testid="pick-table"')[1]
    assert lots[0].lot in table and lots[1].lot not in table


def test_stock_take_variance_review_and_one_batch(login, w):
    c = login("admin")
    r = c.post("/inventory/counts/new/", {"location": w.miami.code, "kind": "STOCK_TAKE"})
    assert r.status_code == 302
    url = r["Location"]
    from inventory.models import StockCount

    count = StockCount.objects.get(public_id=url.rstrip("/").split("/")[-1])
    lines = list(count.lines.all())
    assert len(lines) == StockBalance.objects.filter(location=w.miami).exclude(quantity=0).count()
    data = {f"line-{line.pk}": str(line.expected) for line in lines}
    data[f"line-{lines[0].pk}"] = str(lines[0].expected - 7)
    data[f"line-{lines[1].pk}"] = str(lines[1].expected + 2)
    r = c.post(url, data | {"action": "save"})
    assert r.status_code == 302
    page = c.get(url).content.decode()
    assert "-7" in page and "2" in page  # variances shown for review
    r = c.post(url, data | {"action": "post"})
    assert r.status_code == 302
    count.refresh_from_db()
    assert count.status == "POSTED"
    assert list(count.batch.movements.order_by("quantity").values_list("quantity", flat=True)) == [
        Decimal(-7),
        Decimal(2),
    ]
    assert count.batch.kind == "COUNT_CORRECTION"
    # Posting again changes nothing.
    c.post(url, data | {"action": "post"})
    assert LedgerBatch.objects.filter(idempotency_key=f"count:{count.public_id}").count() == 1


def test_cycle_count_needs_products_and_blank_lines_block_posting(login, w):
    c = login("admin")
    r = c.post("/inventory/counts/new/", {"location": w.miami.code, "kind": "CYCLE"})
    assert r.status_code == 400 and "Choose the products" in r.content.decode()
    serum = Product.objects.get(owner=w.net.dist, sku="LB-SER-001")
    r = c.post(
        "/inventory/counts/new/",
        {"location": w.miami.code, "kind": "CYCLE", "products": [serum.public_id]},
    )
    url = r["Location"]
    r = c.post(url, {"action": "post"})
    assert r.status_code == 400 and "every line" in r.content.decode()


def test_expiring_report_lists_lots_within_days(login):
    c = login("admin")
    soon = c.get("/inventory/expiring/?days=30&product=LB-SER-001").content.decode()
    later = c.get("/inventory/expiring/?days=400&product=LB-SER-001").content.decode()
    assert "SER001-L2400" in soon  # LB-SER-001's older lot expires in 25 days
    assert "SER001-L2500" not in soon and "SER001-L2500" in later


def test_snapshot_from_ledger_differs_from_today_after_a_movement(login, w, key):
    from inventory import selectors

    scope = scope_of_user(w.net.admin)
    year_ago = dt.date.today() - dt.timedelta(days=340)
    old = {
        (r["location__code"], r["product__sku"], r["lot"]): r["units"]
        for r in selectors.snapshot_at(scope, year_ago)
    }
    today = {
        (r["location__code"], r["product__sku"], r["lot"]): r["units"]
        for r in selectors.snapshot_at(scope, dt.date.today())
    }
    assert old and old != today  # 12 months of history
    balances = {
        (b.location.code, b.product.sku, b.lot): b.quantity
        for b in StockBalance.objects.visible_to(scope)
        .exclude(quantity=0)
        .select_related("location", "product")
    }
    assert today == balances
    r = login("admin").get(f"/inventory/reports/snapshot/?date={year_ago.isoformat()}")
    assert (
        r.status_code == 200
        and f"Inventory snapshot at {year_ago.isoformat()}" in r.content.decode()
    )


def test_valuation_states_cost_method_for_owner(login):
    text = login("admin").get("/inventory/reports/valuation/").content
    assert b"Standard cost" in text and b"Value at cost" in text


@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_report_downloads(login, fmt):
    r = login("admin").get(f"/inventory/reports/valuation/?format={fmt}")
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;")
