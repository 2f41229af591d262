"""The API's JSON shapes (pydantic, via django-ninja), and limit/offset pagination.

Output schemas are filled from dicts built by the `*_out` functions in the routes, so what a field
means is decided in one place per object and the OpenAPI document describes exactly that.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from ninja import Field, Schema

MAX_LIMIT = 100  # the hard maximum page size, as on the list pages (portal.core.lists.MAX_PER_PAGE)
DEFAULT_LIMIT = 50


class Error(Schema):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorOut(Schema):
    error: Error


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")
    offset: int = Field(0, ge=0)


def page(queryset: QuerySet[Any], params: PageParams, out: Any) -> dict[str, Any]:
    """One page of `queryset` as {count, limit, offset, next_offset, items}."""
    count = queryset.count()
    rows = list(queryset[params.offset : params.offset + params.limit])
    following = params.offset + len(rows)
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "next_offset": following if following < count else None,
        "items": [out(row) for row in rows],
    }


class PageMeta(Schema):
    count: int
    limit: int
    offset: int
    next_offset: int | None


# -- Catalog ----------------------------------------------------------------------------------


class BlueprintOut(Schema):
    slug: str
    title: str
    summary: str
    runtime: str
    latest_version: str | None
    url: str


class BlueprintPage(PageMeta):
    items: list[BlueprintOut]


class VersionOut(Schema):
    blueprint: str
    version: str
    changes: str
    published_at: datetime
    services: list[str]
    tiers: list[str]
    schema_url: str


class BlueprintDetailOut(BlueprintOut):
    versions: list[VersionOut]


class EstimateIn(Schema):
    version: str | None = Field(None, description="A published version; the latest when omitted.")
    inputs: dict[str, Any] = Field(
        default_factory=dict, description="name, tier, region and the blueprint's fields (its JSON Schema)."
    )
    usage_profile: Literal["small", "medium", "large"] = "medium"
    free_tier: bool = False


class EstimateOut(Schema):
    blueprint: str
    version: str
    tier: str
    monthly_usd: float | None = None
    currency: str = "USD"
    estimate: dict[str, Any]
    errors: dict[str, str]


# -- Requests ----------------------------------------------------------------------------------


class RequestCreateIn(Schema):
    blueprint: str
    version: str | None = None
    team: str | None = Field(None, description="Team name or id; may be left out by a user in one team.")
    inputs: dict[str, Any]
    reason: str = ""
    environment: int | None = Field(None, description="An active environment to update (its id).")
    usage_profile: Literal["small", "medium", "large"] = "medium"


class PlanOut(Schema):
    run: int
    status: str
    plan_sha256: str
    changes_sha256: str
    add: int | None
    change: int | None
    destroy: int | None
    resources: list[dict[str, Any]]


class RequestOut(Schema):
    id: int
    kind: str
    state: str
    state_label: str
    team: str
    requester: str
    blueprint: str
    version: str
    environment_name: str
    environment: int | None
    tier: str
    region: str
    reason: str
    monthly_cost_usd: Decimal | None
    cost_delta_usd: Decimal | None
    over_budget: bool
    created_at: datetime
    updated_at: datetime
    url: str


class RequestPage(PageMeta):
    items: list[RequestOut]


class RequestDetailOut(RequestOut):
    inputs: dict[str, Any]
    secret_inputs: list[str]
    plan: PlanOut | None
    decision: dict[str, Any] | None
    approvals: list[dict[str, Any]]
    events: list[dict[str, Any]]
    moves: list[str]
    can_decide: bool


class StepOut(Schema):
    request: RequestDetailOut
    run: int | None = None


class DecideIn(Schema):
    decision: Literal["approve", "reject", "break_glass"]
    comment: str = ""
    break_glass_reason: str = ""
    plan_sha256: str | None = Field(
        None, description="The plan hash the decision is about; refused (409 stale_plan) if not current."
    )
    acknowledge_warnings: bool = Field(False, description="Acknowledges every policy warning on the plan.")
    acknowledged: list[str] = Field(
        default_factory=list, description="The names of the warned policies the approver acknowledges."
    )


class DestroyIn(Schema):
    confirm_name: str = Field(description="The environment's name, typed again to confirm the destroy.")
    reason: str = Field(description="Why the environment should be destroyed (required, recorded).")
    submit: bool = Field(True, description="Submit the destroy request at once (plans the destroy).")


# -- Environments, runs, images, audit --------------------------------------------------------


class EnvironmentOut(Schema):
    id: int
    name: str
    team: str
    owner: str
    blueprint: str
    version: str
    tier: str
    region: str
    status: str
    drift_status: str
    monthly_cost_usd: Decimal | None
    expires_at: datetime | None
    created_at: datetime
    url: str


class EnvironmentPage(PageMeta):
    items: list[EnvironmentOut]


class EnvironmentDetailOut(EnvironmentOut):
    inputs: dict[str, Any]
    drift_checked_at: datetime | None
    drift_changes: list[Any]
    active_run: int | None
    locked: bool


class OutputsOut(Schema):
    environment: int
    outputs: dict[str, Any]


class RunOut(Schema):
    id: int
    kind: str
    status: str
    environment: int | None
    request: int | None
    created_by: str | None
    reason: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    finished: bool
    url: str


class RunPage(PageMeta):
    items: list[RunOut]


class RunDetailOut(RunOut):
    error: str
    cancel_requested: bool
    log_lines: int
    plan: PlanOut | None
    drift_detected: bool | None


class LogLineOut(Schema):
    seq: int
    stream: str
    level: str
    message: str
    created_at: datetime


class LogOut(Schema):
    run: int
    status: str
    finished: bool = Field(description="The run has ended and every line was sent: stop polling.")
    next_after: int = Field(description="Pass as `after` to get the lines that follow.")
    lines: list[LogLineOut]


class ImageOut(Schema):
    id: int
    blueprint: str
    version: str
    run: int
    artifacts: list[dict[str, Any]]
    created_at: datetime


class ImagePage(PageMeta):
    items: list[ImageOut]


class AuditEventOut(Schema):
    id: int
    created_at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    target: str
    summary: str
    ip_address: str | None
    data: dict[str, Any]


class AuditPage(PageMeta):
    items: list[AuditEventOut]


class MeOut(Schema):
    username: str
    name: str
    platform_admin: bool
    teams: list[dict[str, Any]]
    token: dict[str, Any] | None
