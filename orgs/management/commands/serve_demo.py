import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "What `make run` does: migrate, seed the demo network into an empty database (a "
        "database with data is never touched), print the logins, serve."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument(
            "--seed",
            action="store_true",
            help="Also add missing demo rows to a database with data (never changes a row).",
        )

    def handle(self, *args, host, port, seed=False, **options):
        # manage.py sets DEMO=1 for this command unless the environment says otherwise; the
        # demo seeds logins with a known password, so it never runs with production settings.
        if not (settings.DEMO or settings.DEBUG):
            raise CommandError("serve_demo is the local demo: run it with DEMO=1 (make run).")
        # The autoreloader re-runs this command in a child process (RUN_MAIN=true); only the
        # first run migrates and seeds.
        if os.environ.get("RUN_MAIN") != "true":
            call_command("migrate", interactive=False, verbosity=0)
            # A restart keeps every edit: only an empty database (no organization) is seeded.
            call_command("seed_demo", if_empty=not seed)
            self.stdout.write(self.style.WARNING(self.banner()))
            self.stdout.write(
                self.style.SUCCESS(
                    f"Serving on http://{host}:{port}/ (Ctrl-C stops "
                    "the server and the embedded database)"
                )
            )
            if settings.BILLING_SIMULATED_CHECKOUT and not settings.STRIPE_SECRET_KEY:
                self.stdout.write(
                    "Payments: simulated checkout (BILLING_SIMULATED_CHECKOUT), nothing is "
                    "charged; set STRIPE_SECRET_KEY for real payments."
                )
        call_command("runserver", f"{host}:{port}")

    def banner(self) -> str:
        key = (
            "from the environment"
            if os.environ.get("SECRET_KEY")
            else f"a dev key kept in {settings.DATA_DIR / 'secret_key'}"
        )
        return "\n".join(
            [
                f"Demo settings: DEMO={settings.DEMO} DEBUG={settings.DEBUG} (not for production)",
                "  plain HTTP on localhost: no SSL redirect, no HSTS, cookies not Secure-only",
                "  static files served from static/ without collectstatic",
                f"  mail: {settings.EMAIL_BACKEND} (written to {settings.EMAIL_FILE_PATH}/)",
                f"  SECRET_KEY: {key}",
                "  error pages: the production ones (DEBUG off shows no tracebacks)"
                if not settings.DEBUG
                else "  DEBUG on: tracebacks and the URL list on error pages",
            ]
        )
