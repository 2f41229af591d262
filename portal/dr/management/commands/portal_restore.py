"""`manage.py portal_restore BACKUP --yes`: replaces the portal's database with a backup.
Stop the web server, the workers and beat first (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.dr.backup import BackupError, newest_backup, portal_restore


class Command(BaseCommand):
    help = "Restore the portal's database from a backup made by portal_backup."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", nargs="?", type=Path, help="the backup file; default: the newest")
        parser.add_argument("--yes", action="store_true", help="really replace the current database")

    def handle(self, *args: Any, **options: Any) -> None:
        backup = options["backup"]
        if backup is None:
            found = newest_backup()
            if found is None:
                raise CommandError("no backup found in PORTAL_BACKUP_DIR")
            backup = found[0]
        if not options["yes"]:
            raise CommandError(f"this replaces the portal's database with {backup}; add --yes to go on")
        try:
            portal_restore(backup=backup)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {backup}")
