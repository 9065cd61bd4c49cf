"""Operations (docs/operations.md): probes over plain HTTP under production settings, kept
database connections that survive a restart, requests that never hang on a dead or hung Redis,
durable Celery settings, and backups that restore what they saved."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from core.backup import backup, media_archive_for, restore

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(db: dict, **query: str) -> str:
    """A DATABASE_URL for another process, naming the same database as `db`."""
    options = db.get("OPTIONS") or {}
    host = db.get("HOST") or ""
    port = db.get("PORT") or ""
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    if not host and options.get("host"):  # the embedded pgserver: a socket directory
        query = {"host": options["host"], **query}
    netloc = f"{user}:{password}@{host}" + (f":{port}" if port else "")
    qs = "&".join(f"{k}={quote(str(v))}" for k, v in query.items())
    return f"postgres://{netloc}/{db['NAME']}" + (f"?{qs}" if qs else "")


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _libpq(db: dict) -> dict:
    options = db.get("OPTIONS") or {}
    return {
        "dbname": db["NAME"],
        "host": db.get("HOST") or options.get("host") or None,
        "port": db.get("PORT") or options.get("port") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "autocommit": True,
    }


@pytest.mark.django_db
def test_probes_answer_over_plain_http_and_a_kept_connection_survives_a_database_restart():
    """A production process (gunicorn, DEBUG off, SSL redirect on, CONN_MAX_AGE=60): the probes
    answer over plain HTTP while every other page redirects to HTTPS; after the database drops
    the worker's kept connection (as a restart does), /readyz is still 200: the health check
    replaces the dead connection instead of serving an error."""
    app_name = f"betterdata-probe-{os.getpid()}"
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "betterdata.settings",
        "DEBUG": "False",
        "DEMO": "False",
        "SECRET_KEY": "operations-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "SECURE_SSL_REDIRECT": "True",
        "CONN_MAX_AGE": "60",
        "REDIS_URL": "",
        "DATABASE_URL": _database_url(connection.settings_dict, application_name=app_name),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "betterdata.wsgi:application"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, _ = _get(port, "/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert status == 200
        status, headers, _ = _get(port, "/accounts/login/")
        assert status == 301 and headers["Location"].startswith("https://")
        status, _, body = _get(port, "/readyz")
        assert status == 200, body
        assert b'"database": "ok"' in body

        with psycopg.connect(**_libpq(connection.settings_dict)) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = %s",
                [app_name],
            ).fetchone()
        assert killed == (1,), "the worker should have kept its connection"
        for _ in range(3):
            status, _, body = _get(port, "/readyz")
            assert status == 200, body
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.django_db
@pytest.mark.parametrize("redis_state", ["refused", "hung"])
def test_readyz_answers_503_within_two_seconds_when_redis_is_down(client, settings, redis_state):
    hung = socket.socket()  # accepts connections (the kernel's backlog) and never answers
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)
    try:
        port = 1 if redis_state == "refused" else hung.getsockname()[1]
        settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
    finally:
        hung.close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")
    assert elapsed < 2.5, f"/readyz took {elapsed:.1f} s"


_PUBLISH = """
import time, django
django.setup()
from core.tasks import send_email
started = time.monotonic()
try:
    send_email.delay(to=["ops@amazon.example"], subject="s", text="t")
    outcome = "queued"
except Exception as exc:
    outcome = type(exc).__module__ + "." + type(exc).__name__
print(outcome, round(time.monotonic() - started, 2))
"""


@pytest.mark.parametrize("redis_state", ["refused", "hung"])
def test_queueing_a_task_gives_up_within_seconds_when_redis_is_down(redis_state):
    """Before the publish timeouts a hung Redis held the request for minutes."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)
    try:
        port = 1 if redis_state == "refused" else hung.getsockname()[1]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": str(ROOT),
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "CELERY_TASK_ALWAYS_EAGER": "False",
        }
        result = subprocess.run(
            [sys.executable, "-c", _PUBLISH],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        hung.close()
    assert result.returncode == 0, result.stderr
    outcome, seconds = result.stdout.split()
    assert outcome == "kombu.exceptions.OperationalError"
    assert float(seconds) < 5, f"publishing took {seconds} s"


def test_celery_and_smtp_are_configured_not_to_lose_or_hang_on_work():
    from betterdata.celery import app

    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit <= 120
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert conf.task_publish_retry_policy["max_retries"] <= 3
    assert 0 < settings.EMAIL_TIMEOUT <= 30
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


# --- backups ----------------------------------------------------------------------------------


@pytest.fixture
def scratch_database():
    """A fresh database beside the test database, with a table under forced row-level security
    owned by the app role (as the app's are), dropped at the end."""
    db = dict(connection.settings_dict)
    db["NAME"] = f"{db['NAME']}_backup_{os.getpid()}"
    maintenance = _libpq({**db, "NAME": "postgres"})
    with psycopg.connect(**maintenance) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
    with psycopg.connect(**_libpq(db)) as conn:
        conn.execute(
            "CREATE TABLE widget (id serial PRIMARY KEY, name text NOT NULL,"
            " price numeric(12, 2) NOT NULL)"
        )
        conn.execute(
            "INSERT INTO widget (name, price) SELECT 'widget ' || n, n * 1.25"
            " FROM generate_series(1, 500) n"
        )
        conn.execute("ALTER TABLE widget ENABLE ROW LEVEL SECURITY")
        conn.execute("ALTER TABLE widget FORCE ROW LEVEL SECURITY")
        conn.execute("CREATE POLICY widget_all ON widget USING (true)")
        if settings.DB_APP_ROLE:
            conn.execute(f'ALTER TABLE widget OWNER TO "{settings.DB_APP_ROLE}"')
    yield db
    with psycopg.connect(**maintenance) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')


def _widgets(db: dict) -> list[tuple]:
    with psycopg.connect(**_libpq(db)) as conn:
        return conn.execute("SELECT id, name, price FROM widget ORDER BY id").fetchall()


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_backup_restores_the_database_and_the_media_as_they_were(scratch_database, tmp_path):
    db = scratch_database
    media = tmp_path / "media"
    (media / "products" / "42").mkdir(parents=True)
    (media / "products" / "42" / "photo.png").write_bytes(b"\x89PNG original")
    (media / "receipts.txt").write_text("receipt 1\n")
    rows_before, files_before = _widgets(db), _files(media)

    dump, archive = backup(db, media, tmp_path / "backups")
    assert dump.name.endswith(".dump") and dump.parent == tmp_path / "backups"
    assert archive == media_archive_for(dump) and archive.is_file()
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    # Everything changes after the backup: rows updated, deleted and added; files too.
    with psycopg.connect(**_libpq(db)) as conn:
        conn.execute("UPDATE widget SET price = 0 WHERE id <= 100")
        conn.execute("DELETE FROM widget WHERE id > 400")
        conn.execute("INSERT INTO widget (name, price) VALUES ('added after', 9)")
    (media / "products" / "42" / "photo.png").write_bytes(b"overwritten")
    (media / "later.txt").write_text("uploaded after the backup")
    assert _widgets(db) != rows_before

    assert restore(db, media, dump) is True
    assert _widgets(db) == rows_before
    assert _files(media) == files_before
    # The sequence came back too: the next row takes the id after the backup's last one.
    with psycopg.connect(**_libpq(db)) as conn:
        assert conn.execute(
            "INSERT INTO widget (name, price) VALUES ('next', 1) RETURNING id"
        ).fetchone() == (501,)


@pytest.mark.django_db
def test_the_commands_back_up_and_ask_before_restoring(tmp_path, settings, monkeypatch, capsys):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.txt").write_text("kept")
    call_command("backup", dir=str(tmp_path / "backups"))
    dumps = list((tmp_path / "backups").glob("*.dump"))
    assert len(dumps) == 1 and media_archive_for(dumps[0]).is_file()
    assert f"make restore FILE={dumps[0]}" in capsys.readouterr().out

    (tmp_path / "media" / "a.txt").write_text("changed")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled: nothing was changed"):
        call_command("restore", str(dumps[0]))
    assert (tmp_path / "media" / "a.txt").read_text() == "changed"
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore", str(tmp_path / "missing.dump"), yes=True)


# --- a worker killed mid-task -----------------------------------------------------------------


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/15"
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.redis
@pytest.mark.django_db
def test_an_email_whose_worker_child_is_killed_mid_send_is_delivered_exactly_once():
    """A real prefork worker on Redis starts sending an email to an SMTP server that accepts the
    connection and then says nothing; its pool child is killed with SIGKILL mid-send. Late acks
    and reject_on_worker_lost put the message back, a new child sends it to the mail server
    (now answering), and the recipient gets it once."""
    from aiosmtpd.controller import Controller

    url = _redis_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI must exercise Redis, but none answers on 127.0.0.1:6379")
        pytest.skip("no Redis server on 127.0.0.1:6379 and REDIS_URL is unset")
    from betterdata.celery import app
    from core.tasks import send_email

    queue = f"ops-test-{os.getpid()}-{time.monotonic_ns()}"
    smtp_port = _free_port()
    hung = socket.socket()
    hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hung.bind(("127.0.0.1", smtp_port))
    hung.listen(8)
    hung.settimeout(30)

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": "False",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "60",  # the child stays blocked on the silent server until killed
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "betterdata", "worker", "--pool", "prefork"]
        + ["--concurrency", "1", "-Q", queue, "--loglevel", "WARNING", "--without-heartbeat"]
        + ["--without-mingle", "--without-gossip"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    held = []
    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=url, task_always_eager=False)
    app.close()
    try:
        with app.connection_for_write(url) as conn:
            send_email.apply_async(
                kwargs={"to": ["ops@amazon.example"], "subject": "Once", "text": "Exactly once."},
                connection=conn,
                queue=queue,
            )
        # The child connects to the silent server: it is mid-send.
        accepted, _ = hung.accept()
        held.append(accepted)
        hung.close()
        controller.start()  # from now on the same port answers
        children = _children(worker.pid)
        assert len(children) == 1, children
        os.kill(children[0], signal.SIGKILL)
        _wait_for(lambda: inbox.messages, 30, "the redelivered email")
        time.sleep(2)  # nothing else arrives: the killed attempt sent nothing, the retry once
        assert len(inbox.messages) == 1
        assert inbox.messages[0].rcpt_tos == ["ops@amazon.example"]
        assert "Exactly once." in inbox.messages[0].content.decode()
    finally:
        app.conf.update(old)
        app.close()
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        for sock in held:
            sock.close()
        hung.close()
        if getattr(controller, "server", None) is not None:
            controller.stop()
        import redis

        with redis.Redis.from_url(url) as r:  # the test's own queue and its bindings
            r.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def test_make_clean_asks_before_deleting_the_data_directory(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / ".data" / "backups").mkdir(parents=True)
    (tmp_path / ".data" / "backups" / "keep.dump").write_bytes(b"PGDMP")

    def clean(answer: str | None, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "--no-print-directory", "clean", *args],
            cwd=tmp_path,
            input=answer,
            capture_output=True,
            text=True,
            timeout=30,
        )

    for answer in ("n\n", "\n", ""):  # no, just Enter, no terminal at all
        refused = clean(answer)
        assert refused.returncode != 0
        assert "Delete .data/" in refused.stdout and "kept .data/" in refused.stdout
        assert (tmp_path / ".data" / "backups" / "keep.dump").exists()
    assert clean("y\n").returncode == 0
    assert not (tmp_path / ".data").exists()
    (tmp_path / ".data").mkdir()
    assert clean(None, "YES=1").returncode == 0  # asks nothing
    assert not (tmp_path / ".data").exists()
