from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from portal.accounts.models import Team
from portal.catalog.models import BlueprintVersion


class RequestKind(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DESTROY = "destroy", "Destroy"


class RequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PLANNING = "planning", "Planning"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    APPLYING = "applying", "Applying"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class EnvironmentRequest(models.Model):
    """A requester's ask to create, update or destroy an environment from a pinned blueprint version.

    Non-secret inputs are kept as JSON; inputs of sensitive fields are kept only encrypted
    (portal.core.crypto) in `secret_inputs`.
    """

    kind = models.CharField(max_length=10, choices=RequestKind.choices, default=RequestKind.CREATE)
    state = models.CharField(
        max_length=20, choices=RequestState.choices, default=RequestState.DRAFT, db_index=True
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requests")
    blueprint_version = models.ForeignKey(BlueprintVersion, on_delete=models.PROTECT, related_name="requests")
    environment_name = models.CharField(max_length=32)
    tier = models.CharField(max_length=10)
    region = models.CharField(max_length=20, blank=True, default="")
    inputs = models.JSONField(default=dict)
    secret_inputs = models.TextField(blank=True, default="", help_text="Encrypted JSON of sensitive inputs.")
    secret_input_names = models.JSONField(default=list, help_text="Which sensitive inputs were given.")
    reason = models.TextField(blank=True, default="")
    environment = models.ForeignKey(
        "environments.Environment", null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    plan_run = models.ForeignKey(
        "runs.Run",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The latest successful plan; approvals are bound to it.",
    )
    policy = models.ForeignKey(
        "ApprovalPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    policy_decision = models.JSONField(default=dict, blank=True, help_text="Which policy applied, and why.")
    monthly_cost_usd = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Plan-based estimate; null when not fully priced.",
    )
    cost_delta_usd = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    over_budget = models.BooleanField(default=False)
    break_glass = models.BooleanField(default=False, help_text="Approved alone by a platform admin.")
    routed_to_admins = models.BooleanField(
        default=False,
        help_text="Nobody in the team besides the requester can satisfy the policy; platform admins decide.",
    )
    awaiting_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The request list's order, per team (scoping) and per state (its filter); the approval
        # queue's (waiting requests, oldest first).
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="request_created_idx"),
            models.Index(fields=["team", "-created_at", "-id"], name="request_team_created_idx"),
            models.Index(fields=["state", "-created_at", "-id"], name="request_state_created_idx"),
            models.Index(fields=["state", "awaiting_since", "id"], name="request_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.environment_name}"

    @property
    def estimate(self) -> dict[str, Any]:
        """The form estimate when drafted (with its catalog version); read from RequestEstimates."""
        return self._estimates().estimate

    @property
    def plan_estimate(self) -> dict[str, Any]:
        """The estimate of the current plan; read from RequestEstimates."""
        return self._estimates().plan_estimate

    def _estimates(self) -> RequestEstimates:
        try:
            return self.estimates
        except RequestEstimates.DoesNotExist:
            return RequestEstimates(request=self)


class RequestEstimates(models.Model):
    """A request's two itemized estimates (about 25 KB each), in their own table so request rows
    stay small: the form estimate when drafted and the estimate of the current plan."""

    request = models.OneToOneField(
        EnvironmentRequest, on_delete=models.CASCADE, primary_key=True, related_name="estimates"
    )
    estimate = models.JSONField(
        default=dict, blank=True, help_text="Form estimate when drafted (with catalog version)."
    )
    plan_estimate = models.JSONField(default=dict, blank=True, help_text="Estimate of the current plan.")

    class Meta:
        verbose_name_plural = "request estimates"

    def __str__(self) -> str:
        return f"estimates of request #{self.request_id}"


class ApprovalPolicy(models.Model):
    """The approval rule for a tier, edited by platform admins in the admin pages."""

    name = models.CharField(max_length=100)
    tier = models.CharField(max_length=10, unique=True, choices=[(t, t) for t in ("dev", "staging", "prod")])
    auto_approve_under_usd = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Approve automatically when the fully priced estimate is under this and within budget.",
    )
    required_approvals = models.PositiveSmallIntegerField(default=1)
    require_platform_admin = models.BooleanField(default=False)
    budget_approver_when_over_budget = models.BooleanField(default=True)
    destroy_always_needs_approval = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "approval policies"
        ordering = ["tier"]

    def __str__(self) -> str:
        return f"{self.name} ({self.tier})"


class Approval(models.Model):
    """One person's decision on a request, bound to the exact plan file and cost they saw."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    request = models.ForeignKey(EnvironmentRequest, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True, default="")
    plan_run = models.ForeignKey("runs.Run", on_delete=models.PROTECT, related_name="approvals")
    plan_sha256 = models.CharField(max_length=64)
    changes_sha256 = models.CharField(max_length=64)
    monthly_cost_usd = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    break_glass = models.BooleanField(default=False)
    break_glass_reason = models.TextField(blank=True, default="")
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True, default="")
    acknowledged_warnings = models.JSONField(
        default=list,
        blank=True,
        help_text="The plan policies' warnings the approver acknowledged: policy, version, messages.",
    )
    policies_passed = models.BooleanField(
        null=True, blank=True, help_text="Whether the plan policies passed when this decision was made."
    )
    apply_run = models.ForeignKey(
        "runs.Run",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The apply (or destroy) run this approval started, when it completed the policy.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "approver"],
                condition=models.Q(voided_at__isnull=True),
                name="one_live_decision_per_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.approver} {self.decision} {self.request}"


class RequestEvent(models.Model):
    """One step in a request's timeline (state changes with who and when)."""

    request = models.ForeignKey(EnvironmentRequest, on_delete=models.CASCADE, related_name="events")
    state = models.CharField(max_length=20, choices=RequestState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request} → {self.state}"
