"""`manage.py portal_backup`: a consistent backup of the portal's database (state versions and
plan files included) into PORTAL_BACKUP_DIR or --dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.dr.backup import portal_backup


class Command(BaseCommand):
    help = "Back up the portal's database (pg_dump on PostgreSQL, the online backup API on SQLite)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, help="where to write the backup and its manifest")

    def handle(self, *args: Any, **options: Any) -> None:
        path = portal_backup(directory=options["dir"])
        self.stdout.write(f"{path}")
