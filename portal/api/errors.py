"""Every API error as one JSON shape: {"error": {"code", "message", "fields"?}}.

The status says what kind of failure it is (400 bad input with `fields`, 401, 403, 404, 409); `code`
is a stable word for scripts to branch on; `message` is the same sentence the pages show.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from portal.catalog.toolchain import BlueprintNotRunnable
from portal.requests.services import (
    AcknowledgementRequired,
    InvalidInputs,
    PlanChanged,
    PolicyBlocksApproval,
)
from portal.requests.states import IllegalTransition
from portal.runs.services import RunConflict, RunNotAllowed

STATUS_CODES = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict"}


class ApiError(Exception):
    """Raised by an endpoint for an answer other than success."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> HttpResponse:
    response = JsonResponse(error_body(code, message, fields), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="portal"'
    return response


def _field_name(loc: Any) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    # ninja names the body parameter itself (payload); the caller knows only the JSON keys
    if len(parts) > 1 and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        fields.setdefault(_field_name(error.get("loc", ())), str(error.get("msg", "Invalid value.")))
    return error_response(400, "invalid", "The request has invalid fields.", fields)


def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {name: " ".join(messages) for name, messages in exc.message_dict.items()}
        return error_response(400, "invalid", "The request has invalid fields.", fields)
    return error_response(400, "invalid", " ".join(exc.messages))


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # django-ninja turns any failure of the body parser into "Cannot parse request body"; an
    # ApiError raised by our parser (control characters) keeps its own fields.
    if isinstance(exc.__cause__, ApiError):
        cause = exc.__cause__
        return error_response(cause.status, cause.code, cause.message, cause.fields)
    return error_response(exc.status_code, STATUS_CODES.get(exc.status_code, "error"), exc.message)


def _conflict_code(exc: Exception) -> str:
    if isinstance(exc, RunConflict):
        return "run_conflict"
    if isinstance(exc, IllegalTransition):
        return "illegal_transition"
    if isinstance(exc, BlueprintNotRunnable):
        return "not_runnable"
    if isinstance(exc, RunNotAllowed):
        return "run_not_allowed"
    return "conflict"


# Exceptions the services raise for a state that forbids the step (409). Another module may add
# its own with `CONFLICT_ERRORS.append(...)` before the API is built.
CONFLICT_ERRORS: list[type[Exception]] = [
    IllegalTransition,
    RunConflict,
    RunNotAllowed,
    BlueprintNotRunnable,
]


def _plan_changed(request: HttpRequest, exc: PlanChanged) -> HttpResponse:
    return error_response(
        409,
        "stale_plan",
        f"The plan changed: you decided on {exc.expected[:12]}…, the current plan is "
        f"{exc.current[:12]}…. Look at the new plan and decide again.",
    )


def install_handlers(api: NinjaAPI) -> None:
    """Replaces django-ninja's default error bodies with the one shape above."""

    api.add_exception_handler(NinjaValidationError, _validation)
    api.add_exception_handler(DjangoValidationError, _django_validation)
    api.add_exception_handler(
        InvalidInputs,
        lambda request, exc: error_response(400, "invalid", "The inputs have errors.", exc.errors),
    )
    # The decision services' refusals (approval_grant, approval_reject). Each is a subclass of a
    # more general one below (PlanChanged of IllegalTransition, PolicyBlocksApproval of
    # PermissionDenied, AcknowledgementRequired of InvalidInputs); django-ninja picks the handler
    # of the most specific class. A policy denial is a 409, not a 403: the caller may decide, the
    # plan is what stands in the way, and a new plan (or a break-glass where allowed) can pass.
    api.add_exception_handler(PlanChanged, _plan_changed)
    api.add_exception_handler(
        PolicyBlocksApproval,
        lambda request, exc: error_response(409, "policy_blocks_approval", str(exc)),
    )
    api.add_exception_handler(
        AcknowledgementRequired,
        lambda request, exc: error_response(
            400, "acknowledgement_required", str(exc.errors["acknowledge"]), exc.errors
        ),
    )
    api.add_exception_handler(
        ApiError, lambda request, exc: error_response(exc.status, exc.code, exc.message, exc.fields)
    )
    api.add_exception_handler(
        AuthenticationError,
        lambda request, exc: error_response(
            401,
            "unauthenticated",
            exc.message
            if exc.message != "Unauthorized"
            else "Sign in or send 'Authorization: Bearer <token>'.",
        ),
    )
    api.add_exception_handler(
        AuthorizationError, lambda request, exc: error_response(403, "forbidden", exc.message)
    )
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(
        PermissionDenied,
        lambda request, exc: error_response(403, "forbidden", str(exc) or "You may not do this."),
    )
    for not_found in (Http404, ObjectDoesNotExist):
        api.add_exception_handler(
            not_found, lambda request, exc: error_response(404, "not_found", "Not found.")
        )
    for conflict in CONFLICT_ERRORS:
        api.add_exception_handler(
            conflict, lambda request, exc: error_response(409, _conflict_code(exc), str(exc))
        )
    api.add_exception_handler(
        IntegrityError,
        lambda request, exc: error_response(
            409, "conflict", "This conflicts with something that already exists (a live name, a run)."
        ),
    )
