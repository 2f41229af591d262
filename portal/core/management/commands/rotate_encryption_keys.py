"""Re-encrypts every stored secret with the first of FIELD_ENCRYPTION_KEYS (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.core.crypto import UndecryptableValue, legacy_secret_key_key, primary_key_fingerprint
from portal.core.services import encryption_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS, so the other "
        "keys can be removed. Idempotent; safe to stop and run again."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=200, help="Rows per transaction.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; write nothing.")
        parser.add_argument(
            "--legacy-secret-key",
            action="store_true",
            help="Also decrypt with the key earlier versions derived from SECRET_KEY (upgrades only).",
        )

    def handle(
        self, *args: Any, batch_size: int, dry_run: bool, legacy_secret_key: bool, **options: Any
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        extra = (legacy_secret_key_key(settings.SECRET_KEY),) if legacy_secret_key else ()
        try:
            counts = encryption_keys_rotate(batch_size=batch_size, extra_keys=extra, dry_run=dry_run)
        except UndecryptableValue as exc:
            raise CommandError(
                f"{exc}. Add the key it was written with to FIELD_ENCRYPTION_KEYS (after the new one) "
                "and run again; rows done so far stay done."
            ) from exc
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        for column, count in counts.items():
            self.stdout.write(f"{column} {verb} {count}")
        self.stdout.write(
            f"{sum(counts.values())} values {verb} with key {primary_key_fingerprint()}"
            + ("" if dry_run else "; the other keys can now be removed from FIELD_ENCRYPTION_KEYS.")
        )
