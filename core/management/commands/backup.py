"""`manage.py backup` (`make backup`): the database and the media directory into BACKUP_DIR."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump, custom format) and the media directory."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            default=settings.BACKUP_DIR,
            help="directory for <stamp>.dump and <stamp>.media.tar.gz (default: BACKUP_DIR)",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        db = connections[options["database"]].settings_dict
        try:
            dump, media = backup(db, Path(settings.MEDIA_ROOT), Path(options["dir"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"database {db['NAME']} → {dump} ({dump.stat().st_size} bytes)")
        self.stdout.write(f"media {settings.MEDIA_ROOT} → {media} ({media.stat().st_size} bytes)")
        self.stdout.write(f"restore with: make restore FILE={dump}")
