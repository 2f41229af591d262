from __future__ import annotations

import pytest

from portal.api.services import token_create
from tests.portal.requests.conftest import awaiting  # noqa: F401 (a request awaiting approval)
from tests.portal.test_view_permissions import world  # noqa: F401 (the pages' matrix world, shared)


@pytest.fixture
def make_token():
    """make_token(user, read_only=False, expires_at=None) -> the secret of a new token."""

    def make(user, *, read_only: bool = False, expires_at=None, name: str = "tests") -> str:
        return token_create(user=user, name=name, expires_at=expires_at, read_only=read_only)[1]

    return make


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
