from __future__ import annotations

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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.environment_name}"


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
