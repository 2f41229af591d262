"""Terraform's HTTP state backend at /state/<environment id>, driven the way Terraform drives it
(basic auth, GET/POST state, LOCK/UNLOCK with the lock info as JSON) through the test client."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.core.crypto import decrypt_json, encrypt_json
from portal.environments.models import Environment, StateLock, StateVersion
from portal.runs.models import Run, RunKind, RunStatus
from tests.factories import EnvironmentFactory

PASSWORD = "state-pw-0123456789abcdef"
SECRET = "db-password-Zq8!x"
LOCK = {
    "ID": "3f1d7c9e-0000-4000-8000-000000000001",
    "Operation": "OperationTypeApply",
    "Info": "",
    "Who": "runner@worker-1",
    "Version": "1.0.3",
    "Created": "2025-01-01T12:00:00Z",
    "Path": "",
}
OTHER_LOCK = {**LOCK, "ID": "3f1d7c9e-0000-4000-8000-000000000002", "Who": "someone@laptop"}


def state_body(serial: int, secret: str = SECRET) -> bytes:
    document = {
        "version": 4,
        "terraform_version": "1.0.3",
        "serial": serial,
        "lineage": "4b1c0f4e-lineage",
        "outputs": {"db_password": {"value": secret, "type": "string", "sensitive": True}},
        "resources": [{"name": "café ☕", "instances": []}],
    }
    # Indented and not ASCII, so "exactly the posted bytes" means something.
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


@pytest.fixture
def environment(team, requester) -> Environment:
    return EnvironmentFactory(
        team=team, owner=requester, name="shop-dev", state_password=encrypt_json(PASSWORD)
    )


@pytest.fixture
def terraform(environment):
    """A client that speaks to the backend like Terraform: CSRF enforced (and exempted), basic auth."""
    return Backend(environment)


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Backend:
    def __init__(self, environment: Environment, password: str = PASSWORD) -> None:
        # A server error shows as its status code, like Terraform would see it.
        self.client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        self.url = reverse("terraform-state", args=[environment.pk])
        self.headers = basic(environment.state_username, password)

    def get(self):
        return self.client.get(self.url, headers=self.headers)

    def post(self, body: bytes, lock_id: str | None = None):
        url = self.url if lock_id is None else f"{self.url}?ID={lock_id}"
        return self.client.post(url, body, content_type="application/json", headers=self.headers)

    def lock(self, info: dict | bytes):
        return self._lock_call("LOCK", info)

    def unlock(self, info: dict | bytes):
        return self._lock_call("UNLOCK", info)

    def _lock_call(self, method: str, info: dict | bytes):
        body = info if isinstance(info, bytes) else json.dumps(info)
        return self.client.generic(
            method, self.url, body, content_type="application/json", headers=self.headers
        )


def assert_unauthorized(response) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="terraform-state"'


def test_missing_or_wrong_credentials_are_refused(environment, team, requester, client):
    url = reverse("terraform-state", args=[environment.pk])
    other = EnvironmentFactory(
        team=team, owner=requester, name="other", state_password=encrypt_json("other-pw")
    )
    for headers in (
        {},
        {"Authorization": "Bearer " + PASSWORD},
        {"Authorization": "Basic !!!not-base64!!!"},
        basic(environment.state_username, "wrong"),
        basic(environment.state_username, ""),
        basic(other.state_username, PASSWORD),  # the right password under another environment's name
        basic(other.state_username, "other-pw"),  # another environment's own credentials
    ):
        assert_unauthorized(client.get(url, headers=headers))
        assert_unauthorized(client.post(url, state_body(1), content_type="application/json", headers=headers))
        assert_unauthorized(client.generic("LOCK", url, json.dumps(LOCK), headers=headers))
    assert not StateVersion.objects.exists() and not StateLock.objects.exists()


def test_a_signed_in_session_is_not_a_credential(environment, client, platform_admin):
    client.force_login(platform_admin)
    assert_unauthorized(client.get(reverse("terraform-state", args=[environment.pk])))


def test_an_unknown_environment_looks_like_bad_credentials(environment, client):
    missing = environment.pk + 1000
    response = client.get(
        reverse("terraform-state", args=[missing]), headers=basic(f"env-{missing}", PASSWORD)
    )
    assert_unauthorized(response)
    assert response.content == b"unauthorized\n"


def test_no_state_yet_is_204(terraform):
    response = terraform.get()
    assert response.status_code == 204 and response.content == b""


def test_lock_write_read_unlock_round_trip(terraform, environment):
    assert terraform.lock(LOCK).status_code == 200
    assert StateLock.objects.get(environment=environment).lock_id == LOCK["ID"]

    busy = terraform.lock(OTHER_LOCK)
    assert busy.status_code == 423
    assert busy.json() == LOCK  # Terraform prints who holds the lock from this body

    body = state_body(1)
    for lock_id in (None, "", OTHER_LOCK["ID"]):
        refused = terraform.post(body, lock_id=lock_id)
        assert refused.status_code == 423 and refused.json() == LOCK
    assert not StateVersion.objects.exists()

    assert terraform.post(body, lock_id=LOCK["ID"]).status_code == 200
    version = StateVersion.objects.get(environment=environment)
    assert (version.serial, version.lineage, version.size) == (1, "4b1c0f4e-lineage", len(body))
    assert SECRET not in version.state and "lineage" not in version.state  # encrypted at rest
    assert decrypt_json(version.state) == body.decode()

    response = terraform.get()
    assert response.status_code == 200 and response.content == body

    wrong = terraform.unlock(OTHER_LOCK)
    assert wrong.status_code == 423 and wrong.json() == LOCK
    assert StateLock.objects.filter(environment=environment).exists()
    assert terraform.unlock(LOCK).status_code == 200
    assert not StateLock.objects.filter(environment=environment).exists()
    # Unlocked again, another holder can lock.
    assert terraform.lock(OTHER_LOCK).status_code == 200


def test_a_write_without_a_lock_is_accepted(terraform):
    # Terraform writes without locking when run with -lock=false.
    assert terraform.post(state_body(1)).status_code == 200
    assert terraform.get().content == state_body(1)


def test_every_state_version_is_kept_and_the_latest_is_served(terraform, environment):
    first, second = state_body(1, secret="first-secret"), state_body(2, secret="second-secret")
    assert terraform.post(first).status_code == 200
    assert terraform.post(second).status_code == 200
    versions = list(StateVersion.objects.filter(environment=environment).order_by("id"))
    assert [v.serial for v in versions] == [1, 2]
    assert [decrypt_json(v.state) for v in versions] == [first.decode(), second.decode()]
    assert terraform.get().content == second


def test_lock_and_state_are_tagged_with_the_active_run(terraform, environment):
    run = Run.objects.create(kind=RunKind.APPLY, environment=environment, status=RunStatus.RUNNING)
    terraform.lock(LOCK)
    terraform.post(state_body(1), lock_id=LOCK["ID"])
    assert StateLock.objects.get(environment=environment).run == run
    assert StateVersion.objects.get(environment=environment).run == run


@pytest.mark.parametrize("body", [b"not json", b'{"serial": 1', b"\xff\xfe{}", b'{"serial": "one"}'])
def test_invalid_state_is_400(terraform, body):
    response = terraform.post(body)
    assert response.status_code == 400
    assert not StateVersion.objects.exists()


@pytest.mark.parametrize("method", ["post", "lock", "unlock"])
@pytest.mark.parametrize("body", [b"[1, 2]", b"null"], ids=["array", "null"])
def test_json_that_is_not_an_object_is_400(terraform, method, body):
    assert getattr(terraform, method)(body).status_code == 400
    assert not StateVersion.objects.exists() and not StateLock.objects.exists()


def test_invalid_lock_info_is_400(terraform, environment):
    assert terraform.lock(b"{not json").status_code == 400
    assert terraform.unlock(b"{not json").status_code == 400
    assert not StateLock.objects.filter(environment=environment).exists()


def test_other_methods_are_405(terraform):
    response = terraform.client.put(terraform.url, state_body(1), headers=terraform.headers)
    assert response.status_code == 405


def test_a_platform_admin_force_unlocks_and_the_holder_is_audited(
    client, terraform, environment, requester, platform_admin
):
    terraform.lock(LOCK)
    url = reverse("environments:force-unlock", args=[environment.pk])

    client.force_login(requester)  # in the owning team, but not an admin
    assert client.post(url).status_code == 403
    assert StateLock.objects.filter(environment=environment).exists()
    assert not AuditEvent.objects.filter(action="state.force_unlocked").exists()

    client.force_login(platform_admin)
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("environments:detail", args=[environment.pk])
    assert not StateLock.objects.filter(environment=environment).exists()
    event = AuditEvent.objects.get(action="state.force_unlocked")
    assert event.actor == platform_admin and event.target_id == str(environment.pk)
    assert "runner@worker-1" in event.summary and "OperationTypeApply" in event.summary
    assert event.data["lock"] == LOCK

    # Nothing left to unlock: no second event, and Terraform can lock again.
    assert client.post(url).status_code == 302
    assert AuditEvent.objects.filter(action="state.force_unlocked").count() == 1
    assert terraform.lock(OTHER_LOCK).status_code == 200
