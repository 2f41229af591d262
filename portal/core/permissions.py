"""Who may do what: the one module that decides it.

Views, selectors, services, notifications, templates (`{% load rules %}{% test_rule ... %}`) and
the admin site all ask here. It sits in the lowest app so that every app can use it: the rules
read a user's roles through the `user.memberships` relation and work on duck-typed objects
(anything with `team_id`, `requester_id`, `environment`), so this module imports no other app.

Each rule is a plain function and is also registered with django-rules under the name in
RULES, for templates (`test_rule`) and for `user.has_perm()` (rules' ObjectPermissionBackend).
Templates use `test_rule`, not `has_perm`: Django answers `has_perm` with yes for any superuser,
and this portal's roles come from memberships, not from that flag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

import rules
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from portal.core.roles import Role


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_platform_admin(user: Any) -> bool:
    """A platform admin holds that role through a membership of any team."""
    if not _signed_in(user):
        return False
    loaded = getattr(user, LOADED_MEMBERSHIPS, None)
    if loaded is not None:
        return holds_platform_admin(loaded)
    return bool(user.memberships.filter(role=Role.PLATFORM_ADMIN).exists())


# The page header's context processor loads the signed-in user's memberships once per request and
# keeps them on request.user under this name, so the rules a template asks cost no more queries.
LOADED_MEMBERSHIPS = "_portal_memberships"


def loaded_memberships(user: Any) -> list[Any]:
    """The signed-in user's memberships (with their teams), read once per request and kept on the
    user object for the page header and every rule after it."""
    if not _signed_in(user):
        return []
    if getattr(user, LOADED_MEMBERSHIPS, None) is None:
        setattr(user, LOADED_MEMBERSHIPS, list(user.memberships.select_related("team")))
    return list(getattr(user, LOADED_MEMBERSHIPS))


def holds_platform_admin(memberships: Iterable[Any]) -> bool:
    """is_platform_admin over memberships already loaded (the page header has them)."""
    return any(m.role == Role.PLATFORM_ADMIN for m in memberships)


def is_team_member(user: Any, team_id: int | None) -> bool:
    return _signed_in(user) and team_id is not None and user.memberships.filter(team_id=team_id).exists()


def _team_id(obj: Any) -> int | None:
    """The team an object belongs to: its own `team_id`, or its environment's."""
    if getattr(obj, "team_id", None) is not None:
        return int(obj.team_id)
    environment = getattr(obj, "environment", None)
    return environment.team_id if environment is not None else None


# -- Approvals: the one "may approve" rule ---------------------------------------------------


def approver_membership_q(team_id: Any) -> Q:
    """Memberships that let their user decide on a request of team `team_id`: a platform admin's
    (of any team), or an approver's or budget approver's in that team. `team_id` may be an
    OuterRef. Every "may approve" question (the service check, whom to notify) is answered from
    this one filter; the approval queue applies the same rule to memberships already loaded
    (approvable_requests), and a change here must be made there too."""
    return Q(role=Role.PLATFORM_ADMIN) | (
        Q(team_id=team_id) & (Q(role=Role.APPROVER) | Q(budget_approver=True))
    )


def can_approve(user: Any, request: Any) -> bool:
    """May approve or reject this request: never one's own; see approver_membership_q."""
    return (
        _signed_in(user)
        and request.requester_id != user.pk
        and user.memberships.filter(approver_membership_q(request.team_id)).exists()
    )


def approvable_requests(user: Any, requests: QuerySet[Any]) -> QuerySet[Any]:
    """The requests of `requests` that `can_approve` allows. The user's memberships (a handful of
    rows, loaded once per request) become a plain team filter, which the queue's indexes serve,
    instead of a membership lookup for every waiting request."""
    if not _signed_in(user):
        return requests.none()
    memberships = loaded_memberships(user)
    requests = requests.exclude(requester_id=user.pk)
    if holds_platform_admin(memberships):
        return requests
    teams = {m.team_id for m in memberships if m.role == Role.APPROVER or m.budget_approver}
    return requests.filter(team_id__in=sorted(teams)) if teams else requests.none()


def approver_capacity(memberships: Iterable[Any], team_id: int) -> dict[str, bool]:
    """In which capacities an approver's decision counts for the approval policy."""
    memberships = list(memberships)
    admin = holds_platform_admin(memberships)
    return {
        "is_team_approver": any(m.team_id == team_id and m.role == Role.APPROVER for m in memberships),
        "is_platform_admin": admin,
        "is_budget_approver": admin or any(m.team_id == team_id and m.budget_approver for m in memberships),
    }


def can_break_glass(user: Any, request: Any = None) -> bool:
    """Break-glass lets a platform admin approve alone, with a reason."""
    return is_platform_admin(user)


# -- Requests ----------------------------------------------------------------------------------


def can_request(user: Any, team: Any = None) -> bool:
    """May draft requests: for `team` (an object with `pk`, or a team id), or for any of their teams."""
    if team is None:
        return _signed_in(user) and user.memberships.exists()
    return is_team_member(user, getattr(team, "pk", team))


def can_upgrade_in_bulk(user: Any, obj: Any = None) -> bool:
    """May upgrade many environments at once (one update request per environment, any team)."""
    return is_platform_admin(user)


def can_submit_request(user: Any, request: Any) -> bool:
    return _signed_in(user) and request.requester_id == user.pk


def can_cancel_request(user: Any, request: Any) -> bool:
    return _signed_in(user) and request.requester_id == user.pk


def can_replan(user: Any, request: Any) -> bool:
    return _signed_in(user) and (request.requester_id == user.pk or is_platform_admin(user))


def can_request_destroy(user: Any, environment: Any) -> bool:
    return is_team_member(user, environment.team_id)


# -- Seeing things -----------------------------------------------------------------------------


def can_view(user: Any, obj: Any) -> bool:
    """Team-owned things (requests, environments, runs) are seen by the team and platform admins;
    things of no team (image builds) by every signed-in user."""
    if not _signed_in(user):
        return False
    team_id = _team_id(obj)
    return team_id is None or is_team_member(user, team_id) or is_platform_admin(user)


def visible_team_ids(user: Any) -> Any:
    """The ids of the teams whose things the user sees (can_view), as a lazy queryset for
    `team__in=`; None means every team (platform admins). Selectors scope their querysets by it."""
    if not _signed_in(user):
        return []
    if is_platform_admin(user):
        return None
    return user.memberships.values("team_id")


# -- Runs, state, images, audit, admin ---------------------------------------------------------


def can_cancel_run(user: Any, run: Any) -> bool:
    """The owning team or a platform admin (image builds, which have no team: platform admins)."""
    return is_platform_admin(user) or (run.environment is not None and is_team_member(user, _team_id(run)))


def can_build_image(user: Any) -> bool:
    return is_platform_admin(user)


def can_download_evidence(user: Any, environment: Any) -> bool:
    """May download an environment's evidence pack: its team's members and platform admins."""
    return is_team_member(user, _team_id(environment)) or is_platform_admin(user)


def can_force_unlock(user: Any, environment: Any = None) -> bool:
    return is_platform_admin(user)


def can_download_state(user: Any, environment: Any = None) -> bool:
    return is_platform_admin(user)


def can_view_audit(user: Any) -> bool:
    return is_platform_admin(user)


def can_use_admin(user: Any) -> bool:
    """The Django admin follows the platform-admin role (not is_staff or is_superuser)."""
    return bool(getattr(user, "is_active", False)) and is_platform_admin(user)


# -- DR drills ----------------------------------------------------------------------------------


def _team_approver(user: Any, team_id: int | None) -> bool:
    return (
        _signed_in(user)
        and team_id is not None
        and user.memberships.filter(team_id=team_id, role=Role.APPROVER).exists()
    )


def can_start_drill(user: Any, environment: Any) -> bool:
    """The owning team's approvers and platform admins start DR drills."""
    return is_platform_admin(user) or _team_approver(user, _team_id(environment))


def can_change_drill_schedule(user: Any, environment: Any) -> bool:
    """The owning team's approvers and platform admins change an environment's drill schedule."""
    return is_platform_admin(user) or _team_approver(user, _team_id(environment))


def can_view_estate_dr(user: Any) -> bool:
    """The estate DR page: approvers (of any team; they see their teams) and platform admins."""
    return (
        _signed_in(user) and user.memberships.filter(role__in=[Role.APPROVER, Role.PLATFORM_ADMIN]).exists()
    )


RULES: dict[str, Callable[..., bool]] = {
    "requests.request": can_request,
    "requests.submit": can_submit_request,
    "requests.cancel": can_cancel_request,
    "requests.replan": can_replan,
    "requests.approve": can_approve,
    "requests.break_glass": can_break_glass,
    "environments.request_destroy": can_request_destroy,
    "environments.force_unlock": can_force_unlock,
    "environments.download_state": can_download_state,
    "environments.download_evidence": can_download_evidence,
    "requests.upgrade_in_bulk": can_upgrade_in_bulk,
    "runs.cancel": can_cancel_run,
    "runs.build_image": can_build_image,
    "audit.view_log": can_view_audit,
    "dr.start_drill": can_start_drill,
    "dr.change_drill_schedule": can_change_drill_schedule,
    "dr.view_estate": can_view_estate_dr,
    "portal.view": can_view,
}

# The Django admin asks `user.has_perm("<app>.<action>_<model>")` for every model page; these
# apps' model permissions follow the platform-admin role.
ADMIN_APPS = (
    "auth",
    "accounts",
    "audit",
    "catalog",
    "requests",
    "environments",
    "runs",
    "core",
    "policies",
    "dr",
    "api",
    "axes",
)


def register_rules() -> None:
    """Registers every rule with django-rules (called once, from CoreConfig.ready)."""
    for name, check in RULES.items():
        rules.set_rule(name, rules.predicate(check, name=name))
        rules.set_perm(name, rules.predicate(check, name=name))
    admin_predicate = rules.predicate(can_use_admin, name="can_use_admin")
    for label in ADMIN_APPS:
        if not apps.is_installed(f"django.contrib.{label}") and label not in apps.app_configs:
            continue
        rules.set_perm(label, admin_predicate)
        for model in apps.get_app_config(label).get_models():
            for action in model._meta.default_permissions:
                rules.set_perm(f"{label}.{action}_{model._meta.model_name}", admin_predicate)


def permission_required(
    check: Callable[[Any], bool], message: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator for rules that need only the user (a 403 with `message` otherwise)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


platform_admin_required = permission_required(is_platform_admin, "Only platform admins may see this page.")
