from __future__ import annotations

from django.db import models


class CostActual(models.Model):
    """What an environment really cost in one calendar month, as AWS Cost Explorer reported it
    (by the portal's cost allocation tags). The current month is month to date and is updated
    by each daily fetch until the month closes; one row per environment and month."""

    # By name: the costs app sits below environments and never imports it.
    environment = models.ForeignKey(
        "environments.Environment", on_delete=models.CASCADE, related_name="cost_actuals"
    )
    month = models.DateField(help_text="First day of the calendar month.")
    # Negative when refunds or credits outweigh usage; stored as reported.
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    source = models.CharField(
        max_length=64, help_text="Where the figure came from, e.g. aws-ce:UnblendedCost."
    )
    estimated = models.BooleanField(
        default=False, help_text="Cost Explorer marked the figure as not final (the month is still open)."
    )
    fetched_at = models.DateTimeField()
    # Set when the owner was told this month's actual exceeds the estimate; once per month.
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["environment_id", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "month"], name="one_cost_actual_per_environment_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.environment_id} {self.month:%Y-%m}: {self.amount} {self.currency}"
