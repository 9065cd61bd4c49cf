"""HTTP bench: gunicorn with production settings, a constant view and /inventory/ as a partner
and as a root admin, measured in the same run with wrk; query counts per page; the database
work of each page against hand-written SQL (bench/sql/).

    make bench BENCH=http          # or: DATABASE_URL=postgres://…/bd .venv/bin/python bench/http.py

Needs `wrk` (Debian: apt-get install wrk). Creates its own database (`<name>_http_bench`,
dropped and recreated), migrates, seeds the demo network, adds BENCH_BALANCES synthetic stock
balances (default 100,000) spread over 200 root locations and the three Amazon FBA locations
the partner sees, then starts `gunicorn -w 2` with DEBUG off and production settings (only
SECURE_SSL_REDIRECT off: wrk speaks plain HTTP). Each URL is loaded for BENCH_SECONDS (default
10) per round, BENCH_ROUNDS rounds (default 3) interleaved, median req/s reported.

Ends with one line anyone can compare between runs:
    partner_ratio=1/N root_ratio=1/M
(req/s of the page ÷ req/s of the constant view, same run; goals: partner ≥ 1/12, root ≥ 1/20).
"""

from __future__ import annotations

import sys

# Run as a script, this file's folder comes first on sys.path, and its name would shadow the
# standard library's `http` package that urllib imports.
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("bench")]

import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlparse, urlunparse  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bd")
BALANCES = int(os.environ.get("BENCH_BALANCES", "100000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PORT = int(os.environ.get("BENCH_PORT", "8199"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
SQL_REPEATS = 30
CONSTANT = "/healthz"
ROOT_EMAIL, PARTNER_EMAIL = "super@luxebond.example", "ops@amazon.example"
# Pages whose query count is printed (constant in data size is the goal: ≤ 12 list, ≤ 15 dashboard).
COUNTED_PAGES = [
    "/dashboard/",
    "/inventory/",
    "/shipments/",
    "/asns/",
    "/purchase-orders/",
    "/billing/",
]


def bench_database() -> str:
    import psycopg

    url = urlparse(BASE_URL)
    name = url.path.lstrip("/") + "_http_bench"
    with psycopg.connect(urlunparse(url._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(url._replace(path=f"/{name}"))


def production_environment(database_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DEMO", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="betterdata.settings",
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_SSL_REDIRECT="False",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="WARNING",
        # Production serves hashed static names from a manifest: collected once, here.
        STATIC_ROOT=str(ROOT / ".data/bench-static"),
    )
    return env


def seed(connection, call_command) -> None:
    from inventory.models import LedgerBatch, Product
    from orgs.models import Location, Organization

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", force=True, quiet=True)
    luxe = Organization.objects.get(code="ORG-003")  # unscoped: the bench builds the world
    Location.objects.bulk_create(
        Location(code=f"LOC-B{i:04d}", name=f"Bench site {i}", operator=luxe) for i in range(200)
    )
    Product.objects.bulk_create(
        Product(
            owner=luxe,
            sku=f"BX-{i:05d}",
            name=f"Bench product {i}",
            price=10 + i % 50,
            cost=4 + i % 20,
        )
        for i in range(5000)
    )
    LedgerBatch.objects.create(idempotency_key="bench-http", kind="RECEIPT")
    with connection.cursor() as cur:
        cur.execute(
            """
            CREATE TEMP TABLE bench_loc AS
            SELECT (row_number() OVER (ORDER BY code) - 1)::int AS idx, id AS location_id
            FROM orgs_location WHERE code LIKE 'LOC-B%%' OR code IN ('LOC-101', 'LOC-102', 'LOC-103');
            CREATE TEMP TABLE bench_prod AS
            SELECT (row_number() OVER (ORDER BY sku) - 1)::int AS idx, id AS product_id
            FROM inventory_product WHERE sku LIKE 'BX-%%';
            INSERT INTO inventory_stockbalance
                (owner_id, product_id, location_id, lot, expiry, quantity, updated_at)
            SELECT %(owner)s, p.product_id, m.location_id, 'B' || (g / 1015000),
                   date '2027-01-01' + ((g / 203) %% 400)::int, (g %% 500) + 11,
                   now() - make_interval(secs => g %% 31536000)
            FROM generate_series(0, %(n)s - 1) g
            JOIN bench_loc m ON m.idx = g %% 203
            JOIN bench_prod p ON p.idx = (g / 203) %% 5000;
            ANALYZE;
            """,
            {"owner": luxe.pk, "n": BALANCES},
        )


def login_cookie(email: str) -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(email=email))
    return client.cookies["sessionid"].value


def page_queries(email: str, url: str) -> list[str]:
    """The SQL of one request of `url` (in-process, production settings)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(email=email))
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    if response.status_code != 200:
        return [f"-- status {response.status_code}"]
    return [q["sql"] for q in ctx.captured_queries]


def median_ms(run, repeats: int = SQL_REPEATS) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def database_work(email: str, url: str) -> tuple[float, float, int]:
    """(ms to replay the page's SELECTs under the viewer's row security, ms of the hand-written
    SQL for the same rows, number of replayed statements)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from orgs.access import scope_for_user
    from rls.context import activate

    user = get_user_model().objects.get(email=email)
    scope = scope_for_user(user)
    selects = [
        q for q in page_queries(email, url) if q.lstrip().upper().startswith(("SELECT", "WITH"))
    ]

    def replay() -> None:
        with connection.cursor() as cur:
            for sql in selects:
                cur.execute(sql)
                cur.fetchall()

    with activate(scope):
        page_ms = median_ms(replay)

    if scope.shared_grants and not scope.has("inventory.manage_own"):
        pairs = [(o, loc) for o, locs in scope.shared_grants for loc in sorted(locs)]
        params = {
            "grant_owners": [o for o, _ in pairs],
            "grant_locations": [loc for _, loc in pairs],
        }
        sql_file = ROOT / "bench/sql/inventory_partner.sql"
    else:
        params = {"org_ids": sorted(scope.org_ids)}
        sql_file = ROOT / "bench/sql/inventory_root.sql"
    params.update(page_size=50, cap=10_000)
    statements = [
        s for s in sql_file.read_text().split(";\n") if s.strip() and not _comment_only(s)
    ]

    def hand() -> None:
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql, params)
                cur.fetchall()

    from rls.context import bypass

    with bypass(reason="bench: hand-written SQL states its own filters"):
        hand_ms = median_ms(hand)
    return page_ms, hand_ms, len(selects)


def _comment_only(sql: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in sql.splitlines())


def wrk(url: str, cookie: str | None) -> tuple[float, int]:
    """(requests/s, responses that were not 2xx/3xx) of SECONDS of load on `url`."""
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: sessionid={cookie}"]
    out = subprocess.run(
        [*cmd, f"http://127.0.0.1:{PORT}{url}"], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


def check_page(url: str, cookie: str | None) -> None:
    """The load tool must measure the page, not a login redirect or an error."""
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{url}")
    if cookie:
        request.add_header("Cookie", f"sessionid={cookie}")
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(request, timeout=30) as response:
        body = response.read()
        assert response.status == 200, f"{url}: {response.status}"
    if url != CONSTANT:
        assert b"<table" in body, f"{url} did not render its table"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def start_gunicorn(env: dict[str, str]) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "betterdata.wsgi:application",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}{CONSTANT}", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not answer")


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench/http.py needs wrk: apt-get install wrk")
    database_url = bench_database()
    env = production_environment(database_url)
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from rls.context import system_process

    system_process("bench: seeding and setup")
    settings.ALLOWED_HOSTS = ["*"]
    t0 = time.perf_counter()
    seed(connection, call_command)
    print(
        f"database {connection.settings_dict['NAME']}: demo + {BALANCES:,} balances "
        f"in {time.perf_counter() - t0:.0f} s; CONN_MAX_AGE={settings.DATABASES['default']['CONN_MAX_AGE']}"
    )

    print("Queries per page (one warm request, production settings):")
    for email in (ROOT_EMAIL, PARTNER_EMAIL):
        for url in COUNTED_PAGES:
            queries = page_queries(email, url)
            shown = queries[0] if queries and queries[0].startswith("--") else len(queries)
            print(f"  {url:<16} as {email:<24} {shown}")

    print("Database work of /inventory/ vs hand-written SQL (bench/sql/), medians:")
    for label, email in (("root", ROOT_EMAIL), ("partner", PARTNER_EMAIL)):
        page_ms, hand_ms, n = database_work(email, "/inventory/")
        print(
            f"  {label:<8} page {page_ms:7.2f} ms ({n} selects)  hand SQL {hand_ms:7.2f} ms"
            f"  ratio {page_ms / hand_ms:.2f}×"
        )

    cookies = {"root": login_cookie(ROOT_EMAIL), "partner": login_cookie(PARTNER_EMAIL)}
    connection.close()
    server = start_gunicorn(env)
    try:
        targets = [
            ("constant", CONSTANT, None),
            ("partner", "/inventory/", cookies["partner"]),
            ("root", "/inventory/", cookies["root"]),
        ]
        for _, url, cookie in targets:
            check_page(url, cookie)
        rates: dict[str, list[float]] = {label: [] for label, _, _ in targets}
        errors = 0
        for round_no in range(ROUNDS):
            for label, url, cookie in targets:
                rate, bad = wrk(url, cookie)
                rates[label].append(rate)
                errors += bad
            print(
                f"  round {round_no + 1}: "
                + ", ".join(f"{label} {rates[label][-1]:.1f} req/s" for label in rates),
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    median = {label: statistics.median(values) for label, values in rates.items()}
    print(
        f"gunicorn -w 2, wrk -c{CONNECTIONS}, {ROUNDS}×{SECONDS} s interleaved; medians: "
        + ", ".join(f"{label} {value:.1f} req/s" for label, value in median.items())
        + f"; non-2xx responses {errors}"
    )
    # A page that served nothing in the window (every request slower than wrk's timeout) is
    # reported as such rather than as a ratio.
    ratios = {
        label: f"1/{median['constant'] / median[label]:.1f}" if median[label] else "0"
        for label in ("partner", "root")
    }
    print(f"partner_ratio={ratios['partner']} root_ratio={ratios['root']}")


if __name__ == "__main__":
    main()
