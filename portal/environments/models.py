from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from portal.accounts.models import Team
from portal.catalog.models import BlueprintVersion


class EnvironmentStatus(models.TextChoices):
    PENDING = "pending", "Pending (not applied yet)"
    ACTIVE = "active", "Active"
    FAILED = "failed", "Failed"
    DESTROYED = "destroyed", "Destroyed"


class DriftStatus(models.TextChoices):
    UNKNOWN = "unknown", "Not checked"
    IN_SYNC = "in_sync", "In sync"
    DRIFTED = "drifted", "Drifted"
    ERROR = "error", "Check failed"


class Environment(models.Model):
    """A deployed (or about to be deployed) copy of a blueprint version, owned by a team.

    Its Terraform state lives in the portal (StateVersion), reached by Terraform through the
    portal's HTTP backend with this environment's own credentials.
    """

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="environments")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="environments")
    name = models.CharField(max_length=32)
    blueprint_version = models.ForeignKey(
        BlueprintVersion, on_delete=models.PROTECT, related_name="environments"
    )
    tier = models.CharField(max_length=10)
    region = models.CharField(max_length=20, blank=True, default="")
    inputs = models.JSONField(default=dict)
    secret_inputs = models.TextField(blank=True, default="", help_text="Encrypted JSON of sensitive inputs.")
    status = models.CharField(
        max_length=12, choices=EnvironmentStatus.choices, default=EnvironmentStatus.PENDING
    )
    outputs = models.JSONField(
        default=dict, blank=True, help_text="terraform output -json, sensitive masked."
    )
    # Password Terraform uses for the HTTP state backend; encrypted at rest.
    state_password = models.TextField(blank=True, default="")
    monthly_cost_usd = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Estimate of the applied plan; null when it could not price everything.",
    )
    drift_status = models.CharField(max_length=10, choices=DriftStatus.choices, default=DriftStatus.UNKNOWN)
    drift_checked_at = models.DateTimeField(null=True, blank=True)
    drift_changes = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)
    image = models.ForeignKey(
        "catalog.MachineImage", null=True, blank=True, on_delete=models.PROTECT, related_name="environments"
    )
    destroyed_at = models.DateTimeField(null=True, blank=True)
    destroyed_by_run = models.ForeignKey(
        "runs.Run",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The destroy run whose success destroyed this environment.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team__name", "name"]
        # With Team.name's unique index, the list's order comes from walking teams by name and
        # each team's environments by name: no sort of the whole table (see docs/architecture.md).
        indexes = [models.Index(fields=["team", "name"], name="environment_team_name_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "name"],
                condition=~models.Q(status="destroyed"),
                name="one_live_environment_name_per_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team.slug}/{self.name}"

    @property
    def state_username(self) -> str:
        return f"env-{self.pk}"

    @property
    def cost_estimate(self) -> dict[str, Any]:
        """The itemized estimate of the applied plan, with its catalog version; read from
        EnvironmentEstimate ({} when none)."""
        try:
            return self.estimate_data.cost_estimate
        except EnvironmentEstimate.DoesNotExist:
            return {}


class EnvironmentEstimate(models.Model):
    """The itemized estimate (about 25 KB) of an environment's applied plan, in its own table so
    environment rows stay small; the total is on the environment (monthly_cost_usd)."""

    environment = models.OneToOneField(
        Environment, on_delete=models.CASCADE, primary_key=True, related_name="estimate_data"
    )
    cost_estimate = models.JSONField(
        default=dict, blank=True, help_text="The itemized estimate, with its catalog version."
    )

    def __str__(self) -> str:
        return f"estimate of {self.environment_id}"


class StateVersion(models.Model):
    """One Terraform state snapshot written through the HTTP backend; every version is kept."""

    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="state_versions")
    serial = models.PositiveIntegerField()
    lineage = models.CharField(max_length=64, blank=True, default="")
    state = models.TextField(help_text="Encrypted state JSON (state holds secrets in clear).")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    run = models.ForeignKey("runs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.environment} state serial {self.serial}"


class StateLock(models.Model):
    """Terraform's state lock for one environment, as sent with LOCK; one row at most."""

    environment = models.OneToOneField(Environment, on_delete=models.CASCADE, related_name="state_lock")
    lock_id = models.CharField(max_length=64)
    info = models.JSONField(default=dict)
    run = models.ForeignKey("runs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"lock on {self.environment} ({self.info.get('Who', '?')})"
