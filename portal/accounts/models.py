from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from portal.core.roles import Role

__all__ = ("Membership", "Role", "Team")


class Team(models.Model):
    """A product team: it owns environments, has a monthly budget and a cost centre for tags."""

    slug = models.SlugField(unique=True, validators=[RegexValidator(r"^[a-z][a-z0-9-]{1,38}$")])
    name = models.CharField(max_length=100, unique=True)
    cost_centre = models.CharField(max_length=40, default="", blank=True)
    monthly_budget_usd = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one team. Platform admins hold their role through a membership too."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    budget_approver = models.BooleanField(
        default=False, help_text="May sign off on requests that take this team over its budget."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_membership_per_team")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.team}"
