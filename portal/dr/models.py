from __future__ import annotations

from django.conf import settings
from django.db import models


class Frequency(models.TextChoices):
    NONE = "none", "No scheduled drills"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


FREQUENCY_DAYS = {Frequency.WEEKLY: 7, Frequency.MONTHLY: 30, Frequency.QUARTERLY: 91}


class DrillStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    ERROR = "error", "Error"


ACTIVE_DRILL_STATUSES = (DrillStatus.QUEUED, DrillStatus.RUNNING)


class DrillTrigger(models.TextChoices):
    MANUAL = "manual", "Started by a person"
    SCHEDULE = "schedule", "Schedule"
    CLI = "cli", "Command line"


class AwsSettings(models.Model):
    """Where, and as whom, drills against AWS run: for a whole team, or for one environment
    (which wins over its team's). An empty role means the worker's own credentials."""

    team = models.OneToOneField(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="aws_settings"
    )
    environment = models.OneToOneField(
        "environments.Environment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="aws_settings",
    )
    region = models.CharField(max_length=20, blank=True, default="", help_text="Empty: the environment's.")
    role_arn = models.CharField(max_length=200, blank=True, default="", help_text="Role the worker assumes.")
    external_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "AWS settings for drills"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=True) ^ models.Q(environment__isnull=True),
                name="aws_settings_for_a_team_or_an_environment",
            )
        ]

    def __str__(self) -> str:
        return f"AWS settings of {self.environment or self.team}"


class DrillSchedule(models.Model):
    """How often an environment drills, and when the next drill is due. Without a row, the
    blueprint version's DR profile gives the frequency for the environment's tier."""

    environment = models.OneToOneField(
        "environments.Environment", on_delete=models.CASCADE, related_name="drill_schedule"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    customized = models.BooleanField(default=False, help_text="Set by a person, not the profile default.")
    next_due_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When the scheduler starts the next drill."
    )
    overdue_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="No passed drill by then: the environment is overdue."
    )
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    last_drill = models.ForeignKey(
        "dr.Drill", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.environment} drills {self.frequency}"


class Drill(models.Model):
    """One DR drill: a run of kind `drill` and the record its runbook produced (DrillResult).

    The environment is null for the portal's own self-drill (backup restore). The database allows
    one active drill per environment.
    """

    run = models.OneToOneField("runs.Run", on_delete=models.CASCADE, related_name="drill")
    environment = models.ForeignKey(
        "environments.Environment", null=True, blank=True, on_delete=models.PROTECT, related_name="drills"
    )
    runbook = models.CharField(max_length=40)
    trigger = models.CharField(max_length=10, choices=DrillTrigger.choices, default=DrillTrigger.MANUAL)
    status = models.CharField(
        max_length=10, choices=DrillStatus.choices, default=DrillStatus.QUEUED, db_index=True
    )
    reason = models.TextField(blank=True, default="")
    rto_target_s = models.FloatField()
    rpo_target_s = models.FloatField()
    rto_achieved_s = models.FloatField(null=True, blank=True)
    rpo_api_s = models.FloatField(null=True, blank=True)
    rpo_measured_s = models.FloatField(null=True, blank=True)
    cleanup_ok = models.BooleanField(null=True, blank=True)
    leftovers = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="DrillResult.to_dict(), redacted.")
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_drill_per_environment",
            )
        ]
        indexes = [models.Index(fields=["environment", "-finished_at"])]

    def __str__(self) -> str:
        return f"drill #{self.pk} {self.runbook}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_DRILL_STATUSES

    @property
    def rto_met(self) -> bool | None:
        return None if self.rto_achieved_s is None else self.rto_achieved_s <= self.rto_target_s

    @property
    def rpo_met(self) -> bool | None:
        worst = max((v for v in (self.rpo_api_s, self.rpo_measured_s) if v is not None), default=None)
        return None if worst is None else worst <= self.rpo_target_s

    @property
    def steps(self) -> list[dict]:
        return list(self.result.get("steps", []))


class DrillResource(models.Model):
    """A scratch resource a drill created, stored the moment the runbook reports it, so that a
    killed worker leaves nothing untracked; cleanup after a crash deletes what is still `created`."""

    class State(models.TextChoices):
        CREATED = "created", "Created"
        DELETED = "deleted", "Deleted"
        LEFTOVER = "leftover", "Left over"

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="resources")
    resource_id = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=State.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["drill", "id"]
        constraints = [models.UniqueConstraint(fields=["drill", "resource_id"], name="one_row_per_resource")]

    def __str__(self) -> str:
        return f"{self.resource_id} ({self.state})"
