"""The default approval policy of each tier (kept in step with portal.requests.policy.DEFAULT_POLICIES,
copied here because migrations must not depend on code that may change)."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = {
    "dev": {"name": "Development", "auto_approve_under_usd": Decimal("100.00"), "required_approvals": 1,
            "require_platform_admin": False, "destroy_always_needs_approval": False},
    "staging": {"name": "Staging: one team approver", "auto_approve_under_usd": None, "required_approvals": 1,
                "require_platform_admin": False, "destroy_always_needs_approval": False},
    "prod": {"name": "Production: two approvers, one a platform admin", "auto_approve_under_usd": None,
             "required_approvals": 2, "require_platform_admin": True, "destroy_always_needs_approval": True},
}


def create_defaults(apps, schema_editor):
    ApprovalPolicy = apps.get_model("requests", "ApprovalPolicy")
    for tier, values in DEFAULTS.items():
        ApprovalPolicy.objects.get_or_create(tier=tier, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("requests", "0002_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
