import sys
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.numbering import sync_sequences
from rls.context import bypass

RESET_WARNING = (
    "seed_demo --reset deletes EVERY row of this database ({name}): all organizations, users, "
    "documents and audit events, not only the demo's (the schema and uploaded files stay), "
    "then seeds the demo network afresh."
)


class Command(BaseCommand):
    help = (
        "Create the LUXE BOND demo network: what is missing is created, rows that exist are "
        "left exactly as they are (a user's edits survive any number of runs). --reset empties "
        "the database first (asks for confirmation unless --yes)."
    )

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
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only a database without any organization (what `make run` and compose "
            "do on start); otherwise do nothing.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete every row of the database (all data, not only the demo's), then seed. "
            "Asks for confirmation unless --yes.",
        )
        parser.add_argument(
            "--yes", action="store_true", help="With --reset: do not ask for confirmation."
        )

    def handle(
        self,
        *args,
        force=False,
        quiet=False,
        reset_passwords=False,
        if_empty=False,
        reset=False,
        yes=False,
        **options,
    ):
        if not (settings.DEBUG or settings.DEMO or force):
            raise CommandError(
                "seed_demo creates logins with a known password: it refuses to run with DEBUG "
                "and DEMO off; pass --force to insist."
            )
        if reset and if_empty:
            raise CommandError("--reset and --if-empty contradict each other: choose one.")
        if reset:
            self._confirm_reset(yes)
        elif if_empty and self._has_organizations():
            if not quiet:
                self.stdout.write(
                    "The database already holds organizations: not seeding (your data is kept "
                    "as it is). `make seed` adds missing demo rows; `seed_demo --reset` starts over."
                )
                self._print_logins("Demo logins (unless changed since; password: {password}):")
            return
        # The seed builds the world: a named system job past the row-level security policies.
        with bypass(reason="seed_demo"), transaction.atomic():
            if reset:
                # TRUNCATE of every table (RESTART IDENTITY), then post_migrate recreates the
                # content types and permissions; one transaction with the seed below.
                call_command("flush", interactive=False, verbosity=0)
            # Each app seeds its own part, in INSTALLED_APPS order (orgs before partnerships...).
            # Every app's seed creates only what is missing and never updates an existing row.
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
            self._print_logins("Demo network ready. Logins (password: {password}):")

    def _print_logins(self, heading: str) -> None:
        from orgs.demo import LOGINS

        self.stdout.write(self.style.SUCCESS(heading.format(password=settings.DEMO_PASSWORD)))
        for email, org, role in LOGINS:
            self.stdout.write(f"  {email:<32} {org}  {role}")

    def _has_organizations(self) -> bool:
        from orgs.models import Organization

        # unscoped: a system question about the whole database, past row-level security
        with bypass(reason="seed_demo: is the database empty?"):
            return Organization.objects.exists()

    def _confirm_reset(self, yes: bool) -> None:
        name = settings.DATABASES["default"]["NAME"]
        self.stderr.write(RESET_WARNING.format(name=name))
        if yes:
            return
        if not sys.stdin.isatty():
            raise CommandError("Not resetting: pass --yes to confirm without a terminal.")
        answer = input("Type 'reset' to delete everything and seed again: ")
        if answer.strip().lower() != "reset":
            raise CommandError("Not resetting: nothing was deleted.")
