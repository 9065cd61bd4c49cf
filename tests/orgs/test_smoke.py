def test_amazon_dashboard_renders(login):
    c = login("ops@amazon.example")
    r = c.get("/dashboard/")
    assert r.status_code == 200
    assert "LUXE BOND Distribution LLC" in r.content.decode()


def test_pages_render_for_super_admin(login):
    c = login("super@luxebond.example")
    for url in [
        "/dashboard/",
        "/network/",
        "/locations/",
        "/partnerships/",
        "/admin/",
        "/admin/orgs/organization/",
        "/admin/orgs/location/",
        "/admin/orgs/membership/",
        "/admin/orgs/organizationrelationship/",
        "/admin/partnerships/partnership/",
    ]:
        r = c.get(url)
        assert r.status_code == 200, url
