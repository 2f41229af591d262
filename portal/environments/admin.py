from django.contrib import admin

from portal.environments.models import Environment


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    """Read-only: environments change through requests and runs."""

    list_display = (
        "name",
        "team",
        "blueprint_version",
        "tier",
        "status",
        "drift_status",
        "monthly_cost_usd",
        "expires_at",
    )
    list_filter = ("status", "tier", "drift_status")
    exclude = ("secret_inputs", "state_password")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
