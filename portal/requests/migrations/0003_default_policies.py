from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    # tier, name, auto-approve under, approvals, needs a platform admin
    ("dev", "Development", Decimal("100.00"), 1, False),
    ("staging", "Staging: one team approver", None, 1, False),
    ("prod", "Production: two approvers, one a platform admin", None, 2, True),
]


def create_defaults(apps, schema_editor):
    ApprovalPolicy = apps.get_model("requests", "ApprovalPolicy")
    for tier, name, auto_under, approvals, admin in DEFAULTS:
        ApprovalPolicy.objects.get_or_create(
            tier=tier,
            defaults={
                "name": name,
                "auto_approve_under_usd": auto_under,
                "required_approvals": approvals,
                "require_platform_admin": admin,
                "budget_approver_when_over_budget": True,
                "destroy_always_needs_approval": tier == "prod",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("requests", "0002_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
