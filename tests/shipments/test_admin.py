"""The scoped admin shows a network's shipments read-only, and nothing of other networks."""

import pytest

pytestmark = pytest.mark.django_db


def test_network_super_admin_sees_its_shipments_read_only(login, shp):
    client = login("super@luxebond.example")
    page = client.get("/admin/shipments/shipment/")
    assert page.status_code == 200
    assert shp("fba-in-1").number in page.content.decode()
    detail = client.get(f"/admin/shipments/shipment/{shp('fba-in-1').pk}/change/")
    assert detail.status_code == 200 and "Save" not in detail.content.decode()
    assert client.get("/admin/shipments/shipment/add/").status_code == 403


def test_other_network_super_admin_sees_none(login, shp):
    client = login("admin@medsupply.example")
    page = client.get("/admin/shipments/shipment/")
    assert page.status_code == 200
    assert shp("fba-in-1").number not in page.content.decode()
    assert client.get(f"/admin/shipments/shipment/{shp('fba-in-1').pk}/change/").status_code in (
        302,
        404,
    )
