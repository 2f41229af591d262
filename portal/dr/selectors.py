"""Reads for drills, scoped to what the user may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from portal.accounts.selectors import AnyUser, user_is_platform_admin, user_teams
from portal.core.lists import BLUEPRINT_VERSION_BLOBS, ENVIRONMENT_BLOBS
from portal.core.permissions import can_change_drill_schedule, can_start_drill
from portal.dr.charts import trend_svg
from portal.dr.models import Drill, DrillSchedule, DrillStatus, Frequency
from portal.environments.models import Environment, EnvironmentStatus

FAILING = (DrillStatus.FAILED, DrillStatus.ERROR)


def drill_list(*, user: AnyUser) -> QuerySet[Drill]:
    """Drills of the user's teams' environments; the portal's self-drills for platform admins."""
    drills = Drill.objects.select_related("environment__team", "run")
    if user_is_platform_admin(user):
        return drills
    return drills.filter(environment__team__in=user_teams(user))


def estate_dr_list(*, user: AnyUser, now: datetime | None = None) -> QuerySet[Environment]:
    """Every active environment the user may see with its DR status: overdue first, then failing.
    One query (joins only), whatever the number of environments and drills."""
    now = now or timezone.now()
    return (
        Environment.objects.filter(team__in=user_teams(user), status=EnvironmentStatus.ACTIVE)
        .select_related("team", "blueprint_version__blueprint", "drill_schedule__last_drill")
        .defer(*ENVIRONMENT_BLOBS, *BLUEPRINT_VERSION_BLOBS, "drill_schedule__last_drill__result")
        .order_by(
            # Sort keys, not annotations, so the page's COUNT query needs no join.
            Case(
                When(drill_schedule__overdue_at__lt=now, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            Case(
                When(drill_schedule__last_drill__status__in=FAILING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "team__name",
            "name",
        )
    )


def environment_dr_context(*, environment: Environment, user: AnyUser) -> dict[str, Any]:
    """What the environment page's DR section shows."""
    from portal.dr.demo import emulator_url
    from portal.dr.services import default_frequency, drill_profile

    profile = drill_profile(environment)
    schedule = DrillSchedule.objects.filter(environment=environment).select_related("last_drill").first()
    history = list(
        environment.drills.defer("result").select_related("run").order_by("-created_at", "-id")[:20]
    )
    finished = [d for d in reversed(history) if d.finished_at]
    now = timezone.now()
    return {
        "dr_profile": profile,
        "dr_schedule": schedule,
        "dr_frequency": schedule.frequency if schedule else default_frequency(environment),
        "dr_frequencies": Frequency.choices,
        "dr_last": next((d for d in history if d.finished_at), None),
        "dr_active": next((d for d in history if d.is_active), None),
        "dr_history": history,
        "dr_overdue": bool(schedule and schedule.overdue_at and schedule.overdue_at < now),
        "dr_chart": trend_svg(finished, profile.rto_minutes * 60, profile.rpo_minutes * 60)
        if profile
        else "",
        "dr_emulator": emulator_url() if environment.blueprint_version.blueprint.runtime == "aws" else None,
        "dr_may_start": can_start_drill(user, environment),
        "dr_may_change_schedule": can_change_drill_schedule(user, environment),
    }
