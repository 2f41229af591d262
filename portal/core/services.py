"""Services of the core app."""

from __future__ import annotations

import socket
from typing import Any

from django.apps import apps
from django.db import transaction

from portal.core.crypto import (
    ENCRYPTED_COLUMNS,
    UndecryptableValue,
    is_encrypted_with_primary_key,
    primary_key_fingerprint,
    reencrypt,
)
from portal.core.models import WorkerPing
from portal.core.signals import encryption_keys_rotated


def worker_ping_record(*, note: str) -> WorkerPing:
    """Writes a WorkerPing row with this host's name (called from the ping task)."""
    return WorkerPing.objects.create(note=note[:200], hostname=socket.gethostname())


def encryption_keys_rotate(
    *, batch_size: int = 200, extra_keys: tuple[str, ...] = (), dry_run: bool = False
) -> dict[str, int]:
    """Re-encrypts every stored secret (crypto.ENCRYPTED_COLUMNS) with the first of
    FIELD_ENCRYPTION_KEYS, so the other keys can then be removed. Returns, per column, how many
    values were re-encrypted.

    Each batch of rows is one transaction with the rows locked, so a run stopped half-way leaves
    every value readable, and running it again carries on. A value already under the first key is
    left alone: a second run changes nothing. Each run is audited (encryption_keys_rotated) with
    the counts and the key's fingerprint (never the key). A value no key opens raises
    UndecryptableValue, naming the row.
    """
    counts: dict[str, int] = {}
    for label, fields in ENCRYPTED_COLUMNS.items():
        model = apps.get_model(label)
        for field in fields:
            counts[f"{label}.{field}"] = _reencrypt_column(model, field, batch_size, extra_keys, dry_run)
    if not dry_run:
        with transaction.atomic():  # the audit app records it (core sits below audit)
            encryption_keys_rotated.send(sender=None, key=primary_key_fingerprint(), reencrypted=counts)
    return counts


def _reencrypt_column(
    model: Any, field: str, batch_size: int, extra_keys: tuple[str, ...], dry_run: bool
) -> int:
    changed, last_pk = 0, 0
    while True:
        with transaction.atomic():
            rows = list(
                model.objects.select_for_update()
                .filter(pk__gt=last_pk)
                .exclude(**{field: ""})
                .order_by("pk")
                .values_list("pk", field)[:batch_size]
            )
            if not rows:
                return changed
            for pk, token in rows:
                if is_encrypted_with_primary_key(token):
                    continue
                try:
                    fresh = reencrypt(token, extra_keys=extra_keys)
                except UndecryptableValue as exc:
                    raise UndecryptableValue(f"{model._meta.label} {pk} {field}: {exc}") from exc
                if not dry_run:
                    # update(), not save(): no auto_now timestamps move, no other column is written.
                    model.objects.filter(pk=pk).update(**{field: fresh})
                changed += 1
            last_pk = rows[-1][0]
