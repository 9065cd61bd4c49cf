import os

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "What `make run` does: migrate, seed the demo network, print the logins, serve."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        from django.conf import settings

        # The demo sells plans through the labelled simulated checkout (payments fail closed
        # everywhere else); an explicit BILLING_SIMULATED_CHECKOUT=0 or a Stripe key wins.
        if "BILLING_SIMULATED_CHECKOUT" not in os.environ:
            settings.BILLING_SIMULATED_CHECKOUT = True
        # The autoreloader re-runs this command in a child process (RUN_MAIN=true); only the
        # first run migrates and seeds.
        if os.environ.get("RUN_MAIN") != "true":
            call_command("migrate", interactive=False, verbosity=0)
            call_command("seed_demo")
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
