"""NUL and other control characters in free text are refused with a clear 400, never stored and never
a 500 (PostgreSQL cannot store NUL in text). Run on SQLite and on PostgreSQL (scripts/with-postgres.sh)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.core.validators import validate_single_line_text, validate_text
from portal.requests.models import EnvironmentRequest
from tests.factories import post_sandbox_request_form as post_request_form


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "found"),
    [
        ("reason", "needed for\x00 the demo", "U+0000 (NUL)"),
        ("greeting", "hi\x00", "U+0000 (NUL)"),
        ("reason", "colour \x1b[31m", "U+001B (ESC)"),
    ],
)
def test_request_form_refuses_a_control_character_and_stores_nothing(
    client, sandbox, requester, team, field, value, found
):
    client.force_login(requester)
    audit_before = AuditEvent.objects.count()
    response = post_request_form(client, team, **{field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert f"<code>{field}</code> was refused" in html
    assert f"found {found}" in html
    assert EnvironmentRequest.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.django_db
def test_a_multi_line_reason_with_tabs_is_accepted(client, sandbox, requester, team):
    client.force_login(requester)
    response = post_request_form(client, team, reason="first line\r\nsecond\tline")
    assert response.status_code == 302
    assert EnvironmentRequest.objects.get().reason == "first line\r\nsecond\tline"


@pytest.mark.django_db
def test_a_nul_in_a_search_box_or_the_login_form_is_a_400_not_a_500(client, platform_admin):
    response = client.post(reverse("login"), {"username": "ad\x00min", "password": "x"})
    assert response.status_code == 400
    assert "<code>username</code> was refused" in response.content.decode()
    client.force_login(platform_admin)
    response = client.get(reverse("audit:list"), {"q": "a\x00b"})
    assert response.status_code == 400
    assert "query string field <code>q</code>" in response.content.decode()
    assert client.get(reverse("audit:export"), {"actor": "\x00"}).status_code == 400


def test_shared_validator():
    validate_text("two\nlines\tand a tab")
    with pytest.raises(ValidationError, match=r"U\+0000 \(NUL\)"):
        validate_text("nul\x00")
    with pytest.raises(ValidationError, match="Tabs and line breaks are not allowed"):
        validate_single_line_text("two\nlines")
