from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.numbering import sync_sequences
from rls.context import bypass


class Command(BaseCommand):
    help = "Create or refresh the LUXE BOND demo network (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG and DEMO off."
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print the demo logins.")
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Set every persona's password to DEMO_PASSWORD again (new personas always get it).",
        )

    def handle(self, *args, force=False, quiet=False, reset_passwords=False, **options):
        if not (settings.DEBUG or settings.DEMO or force):
            raise CommandError(
                "seed_demo creates logins with a known password: it refuses to run with DEBUG "
                "and DEMO off; pass --force to insist."
            )
        # The seed builds the world: a named system job past the row-level security policies.
        with bypass(reason="seed_demo"), transaction.atomic():
            # Each app seeds its own part, in INSTALLED_APPS order (orgs before partnerships...).
            for config in apps.get_app_configs():
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                if config.name == "orgs":
                    module.seed(self.stdout, reset_passwords=reset_passwords)
                else:
                    module.seed(self.stdout)
            # The seed chose its codes by hand (ORG-001 …): new codes continue after them.
            sync_sequences()
        if not quiet:
            from orgs.demo import LOGINS

            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo network ready. Logins (password: {settings.DEMO_PASSWORD}):"
                )
            )
            for email, org, role in LOGINS:
                self.stdout.write(f"  {email:<32} {org}  {role}")
