"""Writes for environment requests."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from blueprints.inputs import ValidatedInputs, sensitive_names
from portal.accounts.models import Membership, Team
from portal.audit.services import audit_record
from portal.catalog.models import BlueprintVersion
from portal.core.crypto import encrypt_json
from portal.requests.models import EnvironmentRequest, RequestEvent, RequestKind, RequestState


class InvalidInputs(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@transaction.atomic
def environment_request_create(
    *,
    requester: Any,
    team: Team,
    blueprint_version: BlueprintVersion,
    inputs: ValidatedInputs,
    reason: str = "",
    ip: str | None = None,
) -> EnvironmentRequest:
    """Stores a create request as a draft. Sensitive inputs are encrypted; the rest kept as JSON."""
    if not inputs.ok:
        raise InvalidInputs(inputs.errors)
    if not Membership.objects.filter(user=requester, team=team).exists():
        raise PermissionDenied("You can only request environments for your own teams.")
    secret_names = sensitive_names(blueprint_version.as_spec())
    secrets = {name: value for name, value in inputs.values.items() if name in secret_names and value}
    plain = {name: value for name, value in inputs.values.items() if name not in secret_names}
    request = EnvironmentRequest.objects.create(
        kind=RequestKind.CREATE,
        state=RequestState.DRAFT,
        team=team,
        requester=requester,
        blueprint_version=blueprint_version,
        environment_name=inputs.name,
        tier=inputs.tier,
        region=inputs.region,
        inputs=plain,
        secret_inputs=encrypt_json(secrets) if secrets else "",
        secret_input_names=sorted(secrets),
        reason=reason.strip()[:2000],
    )
    RequestEvent.objects.create(
        request=request, state=request.state, actor=requester, note="Request drafted."
    )
    audit_record(
        actor=requester,
        action="request.drafted",
        target=request,
        ip=ip,
        summary=f"{requester} drafted {request} from {blueprint_version} ({inputs.tier}) for {team}.",
        data={"inputs": plain, "secret_inputs": sorted(secrets)},
    )
    return request
