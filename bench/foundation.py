"""Scope build and /network/, /locations/ render times on a synthetic platform, two sizes.

    python bench/foundation.py            # 200 and 600 networks (2,000 / 6,000 orgs)

Each network: a root, 4 subsidiaries, 5 partners of its first subsidiary (each partnership
shares 2 of the partner's locations), 10 locations per organization.
"""

from __future__ import annotations

import sys

from _db import median_ms, plain_static_files, use_bench_database

use_bench_database()

import django  # noqa: E402

django.setup()
# A bench builds its world as a system job (RLS bypass); its measured requests run
# under each viewer's Scope like production (rls/context.py).
from rls.context import system_process  # noqa: E402

system_process("bench: seeding and setup")
plain_static_files()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from orgs.access import scope_for_user  # noqa: E402
from orgs.models import Location, Membership, Organization, OrganizationRelationship  # noqa: E402
from partnerships.models import Partnership  # noqa: E402

ORGS_PER_NETWORK = 10
LOCATIONS_PER_ORG = 10


def seed(first_network: int, networks: int) -> None:
    orgs = []
    for n in range(first_network, first_network + networks):
        orgs.append(
            Organization(
                code=f"N{n:04d}-R",
                name=f"Network {n} root",
                plan_tier="ENTERPRISE",
                partnership_tier="FULL",
                billing_mode="MASTER",
            )
        )
        for s in range(4):
            orgs.append(
                Organization(
                    code=f"N{n:04d}-S{s}",
                    name=f"Network {n} sub {s}",
                    plan_tier="ENTERPRISE",
                    partnership_tier="FULL",
                    billing_mode="INCLUDED",
                )
            )
        for p in range(5):
            orgs.append(Organization(code=f"N{n:04d}-P{p}", name=f"Network {n} partner {p}"))
    Organization.objects.bulk_create(orgs, batch_size=2000)
    by_code = dict(
        Organization.objects.filter(code__in=[o.code for o in orgs]).values_list("code", "pk")
    )
    locations = [
        Location(code=f"{code}-L{i}", name=f"{code} site {i}", operator_id=pk)
        for code, pk in by_code.items()
        for i in range(LOCATIONS_PER_ORG)
    ]
    Location.objects.bulk_create(locations, batch_size=5000)
    loc_ids = dict(
        Location.objects.filter(code__in=[loc.code for loc in locations]).values_list("code", "pk")
    )
    rels = []
    for n in range(first_network, first_network + networks):
        root = by_code[f"N{n:04d}-R"]
        for s in range(4):
            rels.append(
                OrganizationRelationship(
                    parent_id=root, child_id=by_code[f"N{n:04d}-S{s}"], type="SUBSIDIARY"
                )
            )
        for p in range(5):
            rels.append(
                OrganizationRelationship(
                    parent_id=by_code[f"N{n:04d}-S0"],
                    child_id=by_code[f"N{n:04d}-P{p}"],
                    type="PARTNER",
                )
            )
    OrganizationRelationship.objects.bulk_create(rels, batch_size=5000)
    partner_rels = OrganizationRelationship.objects.filter(
        type="PARTNER", child__code__in=[o.code for o in orgs if "-P" in o.code]
    )
    partnerships = Partnership.objects.bulk_create(
        [Partnership(relationship=r, role="THREE_PL", status="ACTIVE") for r in partner_rels],
        batch_size=5000,
    )
    through = Partnership.shared_locations.through
    child_codes = dict(
        Organization.objects.filter(pk__in=[r.child_id for r in partner_rels]).values_list(
            "pk", "code"
        )
    )
    rel_child = {r.pk: r.child_id for r in partner_rels}
    through.objects.bulk_create(
        [
            through(
                partnership_id=p.pk,
                location_id=loc_ids[f"{child_codes[rel_child[p.relationship_id]]}-L{i}"],
            )
            for p in partnerships
            for i in range(2)
        ],
        batch_size=5000,
    )


def persona(email: str, org_code: str, role: str) -> User:
    user, _ = User.objects.get_or_create(email=email)
    Membership.objects.get_or_create(
        user=user, organization=Organization.objects.get(code=org_code), defaults={"role": role}
    )
    return user


def measure(label: str) -> None:
    root_admin = persona("root@bench.example", "N0000-R", "ORG_SUPER_ADMIN")
    partner = persona("partner@bench.example", "N0000-P0", "ORG_ADMIN")
    orgs, locs = Organization.objects.count(), Location.objects.count()
    print(f"\n== {label}: {orgs:,} organizations, {locs:,} locations ==")
    print(
        f"{'viewer':<14}{'scope build':>14}{'/network/':>14}{'/locations/':>14}{'queries net/loc':>18}"
    )
    for name, user in (("root admin", root_admin), ("partner", partner)):
        client = Client()
        client.force_login(user)
        scope_ms = median_ms(lambda u=user: scope_for_user(u))
        net_ms = median_ms(lambda c=client: c.get("/network/"))
        loc_ms = median_ms(lambda c=client: c.get("/locations/"))
        counts = []
        for url in ("/network/", "/locations/"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts.append(len(ctx.captured_queries))
        print(
            f"{name:<14}{scope_ms:>12.2f}ms{net_ms:>12.2f}ms{loc_ms:>12.2f}ms{counts[0]:>10}/{counts[1]}"
        )


def main() -> None:
    call_command("migrate", verbosity=0)
    sizes = [int(a) for a in sys.argv[1:]] or [200, 600]
    done = 0
    for networks in sizes:
        seed(done, networks - done)
        done = networks
        measure(f"{networks} networks")


if __name__ == "__main__":
    main()
