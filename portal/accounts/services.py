"""Write-side operations on teams and memberships."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from portal.accounts.models import Membership, Team
from portal.audit.services import audit_record
from portal.core.roles import Role

logger = logging.getLogger(__name__)

# When two groups give one team, the stronger role wins.
ROLE_RANK = {Role.REQUESTER: 0, Role.APPROVER: 1, Role.PLATFORM_ADMIN: 2}


@dataclass(frozen=True)
class Grant:
    """A team and role that an identity-provider group gives (OIDC_GROUP_MAPPING)."""

    team: str
    role: str


@dataclass
class MembershipSync:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unknown_teams: list[str] = field(default_factory=list)


def membership_sync_from_groups(
    *,
    user: Any,
    groups: Iterable[str],
    mapping: Mapping[str, Iterable[Grant]],
    ip: str | None = None,
) -> MembershipSync:
    """Makes the user's memberships in the teams that `mapping` names match their groups.

    Run on every SSO login. A mapped group gives its team and role (the strongest role if several
    groups give one team); a membership in a mapped team that no group of the user gives any more
    is removed. Teams the mapping does not name are managed by hand and left alone. Each change
    is audited, and the login itself is too.
    """
    wanted: dict[str, str] = {}
    managed: set[str] = set()
    user_groups = set(groups)
    for group, grants in mapping.items():
        for grant in grants:
            managed.add(grant.team)
            if (
                group in user_groups
                and ROLE_RANK[Role(grant.role)] >= ROLE_RANK[Role(wanted.get(grant.team, grant.role))]
            ):
                wanted[grant.team] = grant.role
    result = MembershipSync()
    name = user.get_username()
    with transaction.atomic():
        teams = {team.slug: team for team in Team.objects.filter(slug__in=managed)}
        result.unknown_teams = sorted(managed - set(teams))
        for slug in result.unknown_teams:
            logger.warning("OIDC_GROUP_MAPPING names team %r, which does not exist", slug)
        current = {
            m.team.slug: m
            for m in Membership.objects.select_for_update()
            .filter(user=user, team__slug__in=managed)
            .select_related("team")
        }
        for slug, role in sorted(wanted.items()):
            if slug not in teams:
                continue
            membership = current.get(slug)
            if membership is None:
                membership = Membership.objects.create(user=user, team=teams[slug], role=role)
                result.added.append(slug)
                audit_record(
                    actor=None,
                    action="membership.added",
                    target=membership,
                    summary=f"SSO: {name} joined {teams[slug]} as {membership.get_role_display()}.",
                    ip=ip,
                    data={"user": name, "team": slug, "role": role, "source": "sso"},
                )
            elif membership.role != role:
                old = membership.role
                membership.role = role
                membership.save(update_fields=["role"])
                result.changed.append(slug)
                audit_record(
                    actor=None,
                    action="membership.role_changed",
                    target=membership,
                    summary=f"SSO: {name} is now {membership.get_role_display()} in {teams[slug]}.",
                    ip=ip,
                    data={
                        "user": name,
                        "team": slug,
                        "role": role,
                        "from": old,
                        "source": "sso",
                    },
                )
        for slug, membership in sorted(current.items()):
            if slug in wanted:
                continue
            result.removed.append(slug)
            audit_record(
                actor=None,
                action="membership.removed",
                target=membership.team,
                summary=f"SSO: {name} left {membership.team} (was {membership.get_role_display()}).",
                ip=ip,
                data={"user": name, "team": slug, "role": membership.role, "source": "sso"},
            )
            membership.delete()
        audit_record(
            actor=user,
            action="login.sso",
            summary=f"{name} logged in with single sign-on.",
            ip=ip,
            data={
                "groups": sorted(user_groups),
                "added": result.added,
                "changed": result.changed,
                "removed": result.removed,
            },
        )
    return result
