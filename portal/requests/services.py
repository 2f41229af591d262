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


def _request_event(request: EnvironmentRequest, state: str, actor: Any, note: str) -> None:
    request.state = state
    request.save(update_fields=["state", "updated_at"])
    RequestEvent.objects.create(request=request, state=state, actor=actor, note=note)


@transaction.atomic
def environment_request_submit(*, request: EnvironmentRequest, actor: Any, ip: str | None = None) -> Any:
    """Draft → planning: creates the environment (for a create request) and queues its plan."""
    from portal.environments.services import environment_create
    from portal.runs.models import RunKind
    from portal.runs.services import run_enqueue

    request = EnvironmentRequest.objects.select_for_update().get(pk=request.pk)
    if request.requester_id != actor.pk:
        raise PermissionDenied("Only the requester can submit this request.")
    if request.state != RequestState.DRAFT:
        raise PermissionDenied(
            f"Request #{request.pk} is {request.get_state_display().lower()}, not a draft."
        )
    if request.environment_id is None:
        request.environment = environment_create(request=request, actor=actor)
        request.save(update_fields=["environment"])
    run = run_enqueue(
        kind=RunKind.PLAN,
        actor=actor,
        environment=request.environment,
        request=request,
        destroy_plan=request.kind == RequestKind.DESTROY,
        reason=f"Plan for request #{request.pk}",
        ip=ip,
    )
    _request_event(request, RequestState.PLANNING, actor, f"Submitted; plan run #{run.pk} queued.")
    audit_record(
        actor=actor,
        action="request.submitted",
        target=request,
        ip=ip,
        summary=f"{actor} submitted {request}; plan run #{run.pk} queued.",
    )
    return run


def request_run_finished(*, request_id: int, run: Any) -> None:
    """Moves a request along when one of its runs ends (called inside the run's final transaction)."""
    from portal.runs.models import RunKind, RunStatus

    request = EnvironmentRequest.objects.select_for_update().get(pk=request_id)
    if run.kind == RunKind.PLAN and request.state == RequestState.PLANNING:
        if run.status == RunStatus.SUCCEEDED:
            _request_event(
                request,
                RequestState.AWAITING_APPROVAL,
                None,
                f"Plan run #{run.pk}: +{run.plan_add} ~{run.plan_change} -{run.plan_destroy}.",
            )
        else:
            _request_event(
                request, RequestState.FAILED, None, f"Plan run #{run.pk} {run.status}: {run.error}"
            )
    elif run.kind in (RunKind.APPLY, RunKind.DESTROY) and request.state in (
        RequestState.APPROVED,
        RequestState.APPLYING,
    ):
        done = run.status == RunStatus.SUCCEEDED
        _request_event(
            request,
            RequestState.DONE if done else RequestState.FAILED,
            None,
            f"{run.get_kind_display()} run #{run.pk} {run.status}" + (f": {run.error}" if run.error else "."),
        )
