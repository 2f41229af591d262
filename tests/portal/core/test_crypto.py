"""Secrets at rest: a list of keys (the first encrypts, all decrypt), independent of SECRET_KEY, and
a rotation command that moves every stored secret to the first key."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import models

from portal.audit.models import AuditEvent
from portal.core.crypto import (
    ENCRYPTED_COLUMNS,
    UndecryptableValue,
    decrypt_json,
    encrypt_json,
    legacy_secret_key_key,
)
from portal.environments.models import Environment, StateVersion
from portal.requests.models import EnvironmentRequest
from portal.runs.models import Run, RunKind
from tests.factories import (
    SANDBOX_SECRET,
    STATE,
    PlanRunFactory,
    StateVersionFactory,
    environment_from_request,
)

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
PLAN_BYTES = b"plan-file-bytes\x00\x01"


@pytest.fixture
def stored_secrets(sandbox, requester, team, settings) -> dict[str, int]:
    """One of every kind of stored secret, written with OLD_KEY; returns their row ids."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    environment = environment_from_request(
        team=team, requester=requester, blueprint_version=sandbox, environment_name="keys", runnable=True
    )
    state_version = StateVersionFactory(environment=environment, body=STATE)
    plan = PlanRunFactory(
        environment=environment,
        kind=RunKind.PLAN,
        plan_file=encrypt_json(base64.b64encode(PLAN_BYTES).decode()),
    )
    request = EnvironmentRequest.objects.get(environment_name="keys")
    return {"environment": environment.pk, "state": state_version.pk, "plan": plan.pk, "request": request.pk}


def readable(ids: dict[str, int]) -> dict[str, object]:
    environment = Environment.objects.get(pk=ids["environment"])
    return {
        "request": decrypt_json(EnvironmentRequest.objects.get(pk=ids["request"]).secret_inputs),
        "environment": decrypt_json(environment.secret_inputs),
        "password": decrypt_json(environment.state_password),
        "state": decrypt_json(StateVersion.objects.get(pk=ids["state"]).state),
        "plan": base64.b64decode(decrypt_json(Run.objects.get(pk=ids["plan"]).plan_file)),
    }


def test_every_encrypted_column_is_known_to_the_rotation(stored_secrets):
    """Any text column holding a Fernet token must be listed in ENCRYPTED_COLUMNS."""
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField | models.TextField) and field.concrete:
                lookup = {f"{field.name}__startswith": "gAAAAA"}  # every Fernet token's prefix
                if model._default_manager.filter(**lookup).exists():
                    found.add((model._meta.label, field.name))
    listed = {(label, name) for label, names in ENCRYPTED_COLUMNS.items() for name in names}
    assert found == listed


def test_the_first_key_encrypts_and_every_key_decrypts(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    token = encrypt_json({"a": 1})
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert decrypt_json(token) == {"a": 1}
    fresh = encrypt_json({"b": 2})
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert decrypt_json(fresh) == {"b": 2}
    with pytest.raises(UndecryptableValue, match="FIELD_ENCRYPTION_KEYS"):
        decrypt_json(token)


def test_the_key_does_not_depend_on_secret_key(settings):
    token = encrypt_json("x")
    settings.SECRET_KEY = "another-secret-key-" + "z" * 40
    assert decrypt_json(token) == "x"


def test_rotation_moves_every_secret_to_the_new_key_and_the_old_key_can_go(stored_secrets, settings):
    before = readable(stored_secrets)
    assert before["request"] == {"api_token": SANDBOX_SECRET} and before["plan"] == PLAN_BYTES

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_encryption_keys", "--batch-size", "1")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key removed
    assert readable(stored_secrets) == before

    event = AuditEvent.objects.get(action="encryption_keys.rotated")
    assert event.data["reencrypted"] == {
        "requests.EnvironmentRequest.secret_inputs": 1,
        "environments.Environment.secret_inputs": 1,
        "environments.Environment.state_password": 1,
        "environments.StateVersion.state": 1,
        "runs.RunPlanData.plan_file": 1,
    }
    assert NEW_KEY not in str(event.data) and OLD_KEY not in str(event.data)


def test_rotation_run_twice_changes_nothing_the_second_time(stored_secrets, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_encryption_keys")
    stored = list(StateVersion.objects.values_list("state", flat=True))
    call_command("rotate_encryption_keys")
    assert list(StateVersion.objects.values_list("state", flat=True)) == stored
    second = AuditEvent.objects.filter(action="encryption_keys.rotated").latest("pk")
    assert set(second.data["reencrypted"].values()) == {0}


def test_a_dry_run_counts_and_writes_nothing(stored_secrets, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_encryption_keys", "--dry-run")
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    assert readable(stored_secrets)["password"]
    assert not AuditEvent.objects.filter(action="encryption_keys.rotated").exists()


def test_rotation_without_the_old_key_stops_and_names_the_row(stored_secrets, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(CommandError, match=r"EnvironmentRequest \d+ secret_inputs.*Add the key"):
        call_command("rotate_encryption_keys")
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    assert readable(stored_secrets)["request"] == {"api_token": SANDBOX_SECRET}


def test_values_from_the_secret_key_era_are_moved_with_the_legacy_option(sandbox, requester, team, settings):
    settings.FIELD_ENCRYPTION_KEYS = [legacy_secret_key_key(settings.SECRET_KEY)]
    environment = environment_from_request(
        team=team, requester=requester, blueprint_version=sandbox, environment_name="old", runnable=True
    )
    password = decrypt_json(environment.state_password)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(CommandError):
        call_command("rotate_encryption_keys")
    call_command("rotate_encryption_keys", "--legacy-secret-key")
    environment.refresh_from_db()
    assert decrypt_json(environment.state_password) == password
