"""`manage.py restore FILE` (`make restore FILE=...`): put a backup's database and media back."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from core.backup import BackupError, media_archive_for, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: the database (pg_restore --clean "
        "--if-exists, one transaction) and the media directory. Asks first unless --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the <stamp>.dump file of the backup")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        dump = Path(options["file"])
        if not dump.is_file():
            raise CommandError(f"no backup file {dump} (make backup writes .data/backups/)")
        connection = connections[options["database"]]
        db = connection.settings_dict
        media = media_archive_for(dump)
        what = f"database {db['NAME']!r}"
        if media.is_file():
            what += f" and the files in {settings.MEDIA_ROOT}"
        if not options["yes"]:
            self.stdout.write(f"This replaces the {what} with the backup {dump}.")
            try:
                answer = input("Type 'yes' to restore: ")
            except EOFError:
                answer = ""
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled: nothing was changed.")
        connection.close()  # our own session must not hold locks on what is dropped
        try:
            restored_media = restore(db, Path(settings.MEDIA_ROOT), dump)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored database {db['NAME']} from {dump}")
        if restored_media:
            self.stdout.write(f"restored {settings.MEDIA_ROOT} from {media}")
        else:
            self.stdout.write(f"no {media.name} beside the dump: media left as they are")
