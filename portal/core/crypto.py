"""Encryption at rest for secret values (sensitive request inputs, state backend passwords).

Fernet (AES-128-CBC + HMAC-SHA256) from the `cryptography` package. The key comes from
FIELD_ENCRYPTION_KEY, or is derived from SECRET_KEY when that is not set.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = settings.FIELD_ENCRYPTION_KEY
    if not key:
        key = base64.urlsafe_b64encode(
            hashlib.sha256(("fernet:" + settings.SECRET_KEY).encode()).digest()
        ).decode()
    return Fernet(key.encode())


def encrypt_json(value: Any) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def decrypt_json(token: str) -> Any:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: FIELD_ENCRYPTION_KEY or SECRET_KEY changed") from exc
