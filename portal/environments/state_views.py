"""Terraform's HTTP state backend, one address per environment: GET/POST state, LOCK/UNLOCK.

Terraform authenticates with HTTP basic auth using the environment's own generated credentials
(never a user's session), so these views are exempt from login and CSRF but check the
credentials on every call.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from portal.environments.models import Environment
from portal.environments.services import (
    StateLocked,
    state_credentials_valid,
    state_latest,
    state_lock,
    state_unlock,
    state_write,
)

MAX_STATE_BYTES = 50 * 1024 * 1024
log = logging.getLogger(__name__)


def _database_outage_is_503(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An unreachable database answers 503 with Retry-After, never 500: Terraform's HTTP backend
    retries 5xx (retry_max in the backend config), and a 503 says that waiting will help."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            log.warning("state backend: database unreachable (%s); answering 503", exc)
            response = HttpResponse("the portal's database is unreachable; retry\n", status=503)
            response["Retry-After"] = "5"
            return response

    return wrapper


def _authenticated(request: HttpRequest, environment: Environment) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        username, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return state_credentials_valid(environment, username, password)


def _locked(exc: StateLocked) -> JsonResponse:
    # Terraform shows the current holder from this body: "Lock Info: ID, Who, Operation, Created".
    return JsonResponse(exc.lock.info, status=423)


@csrf_exempt
@login_not_required
@_database_outage_is_503
def terraform_state(request: HttpRequest, pk: int) -> HttpResponse:
    environment = Environment.objects.filter(pk=pk).first()
    if environment is None or not _authenticated(request, environment):
        response = HttpResponse("unauthorized\n", status=401)
        response["WWW-Authenticate"] = 'Basic realm="terraform-state"'
        return response
    if request.method == "GET":
        state = state_latest(environment)
        return HttpResponse(state, content_type="application/json") if state else HttpResponse(status=204)
    if request.method in ("LOCK", "UNLOCK"):
        try:
            info = json.loads(request.body or b"{}")
        except ValueError:
            return HttpResponse("lock info must be JSON\n", status=400)
        if not isinstance(info, dict):
            return HttpResponse("lock info must be a JSON object\n", status=400)
        try:
            if request.method == "LOCK":
                state_lock(environment=environment, info=info)
            else:
                state_unlock(environment=environment, lock_id=str(info.get("ID", "")))
        except StateLocked as exc:
            return _locked(exc)
        return HttpResponse(status=200)
    if request.method == "POST":
        if len(request.body) > MAX_STATE_BYTES:
            return HttpResponse("state too large\n", status=413)
        try:
            state_write(environment=environment, body=request.body, lock_id=request.GET.get("ID", ""))
        except StateLocked as exc:
            return _locked(exc)
        except (ValueError, UnicodeDecodeError):
            return HttpResponse("state must be JSON\n", status=400)
        return HttpResponse(status=200)
    return HttpResponse(status=405)
