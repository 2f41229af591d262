from __future__ import annotations

from django.conf import settings
from django.db import models

from portal.policies.engine import Policy


class Severity(models.TextChoices):
    DENY = "deny", "Deny (blocks approval)"
    WARN = "warn", "Warn (approver acknowledges)"
    INFO = "info", "Info (shown)"


class PolicyOrigin(models.TextChoices):
    ADMIN = "admin", "Edited in the portal"
    REPOSITORY = "repository", "Synced from the policies/ folder"


class PolicySet(models.Model):
    """One Rego policy checked against every plan: `package portal.<name>` defining
    `violations(inp)`, with its severity and scope. Each change of source or metadata bumps
    `version` and keeps a PolicySetVersion snapshot; the admin compiles the source before saving."""

    name = models.SlugField(max_length=63, unique=True, allow_unicode=False)
    description = models.TextField(blank=True, default="")
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.DENY)
    blueprints = models.JSONField(
        default=list, blank=True, help_text="Blueprint slugs this policy applies to; empty means all."
    )
    tiers = models.JSONField(
        default=list, blank=True, help_text="Tiers (dev, staging, prod); empty means all."
    )
    resource_types = models.JSONField(
        default=list,
        blank=True,
        help_text="Only these resource types reach the policy (faster); empty means every resource.",
    )
    change_fields = models.JSONField(
        default=list,
        blank=True,
        help_text="Only these keys of change.before/after reach the policy (faster); empty means all.",
    )
    break_glass = models.BooleanField(
        default=False, help_text="A break-glass approval may override a denial of this policy."
    )
    source = models.TextField(help_text="Rego: `package portal.<name>` defining `violations(inp)`.")
    tests = models.TextField(blank=True, default="", help_text="Rego unit tests (`test_` rules).")
    enabled = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    origin = models.CharField(max_length=10, choices=PolicyOrigin.choices, default=PolicyOrigin.ADMIN)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def as_policy(self) -> Policy:
        return Policy(
            name=self.name,
            description=self.description,
            severity=self.severity,
            blueprints=tuple(self.blueprints or ()),
            tiers=tuple(self.tiers or ()),
            resource_types=tuple(self.resource_types or ()),
            change_fields=tuple(self.change_fields or ()),
            break_glass=self.break_glass,
            source=self.source,
            tests=self.tests,
            version=self.version,
        )


class PolicySetVersion(models.Model):
    """An immutable snapshot of a policy set at one version, so a stored result can say exactly
    which Rego produced it."""

    policy_set = models.ForeignKey(PolicySet, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    source = models.TextField()
    tests = models.TextField(blank=True, default="")
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["policy_set", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["policy_set", "version"], name="unique_policy_set_version")
        ]

    def __str__(self) -> str:
        return f"{self.policy_set.name} v{self.version}"


class PolicyEvaluation(models.Model):
    """The policy results of one plan run: every in-scope enabled policy, its outcome and its
    messages with the resource addresses they name (PolicyReport.to_dict())."""

    run = models.OneToOneField("runs.Run", on_delete=models.CASCADE, related_name="policy_evaluation")
    report = models.JSONField(default=dict)
    context = models.JSONField(default=dict)
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"policies of {self.run}"
