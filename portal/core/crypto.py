"""Encryption at rest for secret values (sensitive request inputs, Terraform state, plan files,
state backend passwords).

Fernet (AES-128-CBC + HMAC-SHA256) from the `cryptography` package, with a list of keys
(MultiFernet): settings.FIELD_ENCRYPTION_KEYS. The first key encrypts; every key decrypts, which is
what lets `manage.py rotate_encryption_keys` move stored values from old keys to a new one.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# Every column that holds encrypt_json() output, as app_label.Model -> fields. The key rotation
# re-encrypts exactly these; tests/portal/core/test_crypto.py fails when a new one is missing.
ENCRYPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "requests.EnvironmentRequest": ("secret_inputs",),
    "environments.Environment": ("secret_inputs", "state_password"),
    "environments.StateVersion": ("state",),
    "runs.RunPlanData": ("plan_file",),
}


class UndecryptableValue(ValueError):
    """None of the configured keys opens a stored value."""


@functools.lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise UndecryptableValue("no encryption key is configured (FIELD_ENCRYPTION_KEYS)")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _fernet(extra_keys: tuple[str, ...] = ()) -> MultiFernet:
    return _multi_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS) + extra_keys)


def encrypt_json(value: Any) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def decrypt_json(token: str) -> Any:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise UndecryptableValue(
            "cannot decrypt: none of FIELD_ENCRYPTION_KEYS is the key this value was written with"
        ) from exc


def key_fingerprint(key: str) -> str:
    """A short, non-secret name for a key, for audit events and command output."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def primary_key_fingerprint() -> str:
    return key_fingerprint(settings.FIELD_ENCRYPTION_KEYS[0])


def is_encrypted_with_primary_key(token: str) -> bool:
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(token: str, *, extra_keys: tuple[str, ...] = ()) -> str:
    """The same value encrypted with the first key. `extra_keys` also decrypt (used once, for
    values written before the keys were configured; see legacy_secret_key_key)."""
    try:
        return _fernet(extra_keys).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableValue("none of the keys is the one this value was written with") from exc


def legacy_secret_key_key(secret_key: str) -> str:
    """The key earlier versions derived from SECRET_KEY when FIELD_ENCRYPTION_KEY was unset. Only
    `rotate_encryption_keys --legacy-secret-key` uses it, to move such values to the real keys."""
    return base64.urlsafe_b64encode(hashlib.sha256(("fernet:" + secret_key).encode()).digest()).decode()
