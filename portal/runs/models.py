from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class RunKind(models.TextChoices):
    PLAN = "plan", "Plan"
    APPLY = "apply", "Apply"
    DESTROY = "destroy", "Destroy"
    DRIFT = "drift", "Drift check"
    IMAGE_BUILD = "image_build", "Image build"
    DRILL = "drill", "DR drill"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    TIMED_OUT = "timed_out", "Timed out"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
FINISHED_STATUSES = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMED_OUT)
# Kinds that run Terraform against an environment's state; at most one may be active at a time.
STATE_KINDS = (RunKind.PLAN, RunKind.APPLY, RunKind.DESTROY, RunKind.DRIFT)
QUEUE_FOR_KIND = {
    RunKind.PLAN: "runs",
    RunKind.APPLY: "runs",
    RunKind.DESTROY: "runs",
    RunKind.DRIFT: "runs",
    RunKind.IMAGE_BUILD: "images",
    RunKind.DRILL: "drills",
}


class Run(models.Model):
    """One execution of Terraform or Packer. The database row, not the broker message, is the
    truth: a worker claims a queued row under a row lock, and the reaper fails rows whose worker
    stopped heartbeating."""

    kind = models.CharField(max_length=12, choices=RunKind.choices)
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    environment = models.ForeignKey(
        "environments.Environment", null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    request = models.ForeignKey(
        "requests.EnvironmentRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    image_source = models.ForeignKey(
        "catalog.BlueprintVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="image_runs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    reason = models.CharField(max_length=300, blank=True, default="")
    destroy_plan = models.BooleanField(default=False, help_text="A plan run that plans a destroy.")
    plan_run = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applies",
        help_text="For apply/destroy: the plan run whose exact plan file is applied.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    celery_task_id = models.CharField(max_length=100, blank=True, default="")
    worker_host = models.CharField(max_length=200, blank=True, default="")
    cancel_requested = models.BooleanField(default=False)
    log_lines_count = models.PositiveIntegerField(default=0)
    # Plans (the plan file and its JSON are in RunPlanData, off the run row)
    plan_sha256 = models.CharField(max_length=64, blank=True, default="")
    # Hash of the planned changes alone (not the plan file, which differs on every plan), to tell
    # whether a re-plan is identical to what was approved.
    changes_sha256 = models.CharField(max_length=64, blank=True, default="")
    plan_add = models.PositiveIntegerField(null=True, blank=True)
    plan_change = models.PositiveIntegerField(null=True, blank=True)
    plan_destroy = models.PositiveIntegerField(null=True, blank=True)
    plan_resources = models.JSONField(default=list, blank=True)
    # Drift checks
    drift_detected = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment"],
                condition=models.Q(
                    status__in=["queued", "running"], kind__in=["plan", "apply", "destroy", "drift"]
                ),
                name="one_active_state_run_per_environment",
            )
        ]
        # The run list's order, alone, by status and by kind (its filters), and per environment
        # (the environment page and team scoping, which goes through the environment).
        indexes = [
            models.Index(fields=["status", "heartbeat_at"]),
            models.Index(fields=["-created_at", "-id"], name="run_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="run_status_created_idx"),
            models.Index(fields=["kind", "-created_at", "-id"], name="run_kind_created_idx"),
            models.Index(fields=["environment", "-created_at", "-id"], name="run_env_created_idx"),
        ]

    def __str__(self) -> str:
        return f"run #{self.pk} {self.kind}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def queue(self) -> str:
        return QUEUE_FOR_KIND[RunKind(self.kind)]

    @property
    def plan_file(self) -> str:
        """The encrypted, base64 plan file of a plan run ("" for other runs); read from RunPlanData."""
        return self._plan_data().plan_file

    @property
    def plan_json(self) -> dict[str, Any] | None:
        """`terraform show -json` of a plan run, secrets redacted (None for other runs)."""
        return self._plan_data().plan_json

    def _plan_data(self) -> RunPlanData:
        try:
            return self.plan_data
        except RunPlanData.DoesNotExist:
            return RunPlanData(run=self)


class RunPlanData(models.Model):
    """The large outputs of a plan run, kept in their own table so the run row stays small: the
    plan file the apply uses (encrypted) and `terraform show -json` of it (secrets redacted).
    Written once, by run_complete; read by the apply and by the pricing of the plan."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, primary_key=True, related_name="plan_data")
    plan_file = models.TextField(blank=True, default="", help_text="Encrypted, base64 plan file bytes.")
    plan_json = models.JSONField(null=True, blank=True, help_text="terraform show -json, secrets redacted.")

    class Meta:
        verbose_name_plural = "run plan data"

    def __str__(self) -> str:
        return f"plan of run #{self.run_id}"


class RunLogLine(models.Model):
    """One redacted output line of a run, stored as it arrived so the run page shows it live."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="log_lines")
    seq = models.PositiveIntegerField()
    stream = models.CharField(max_length=6)
    level = models.CharField(max_length=5)
    message = models.TextField()
    resource = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="unique_log_line_seq")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.seq} {self.message[:60]}"
