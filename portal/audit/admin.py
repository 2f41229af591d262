from django.contrib import admin

from portal.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only in the admin: the log is append-only."""

    list_display = ("created_at", "actor_name", "action", "target_repr", "summary", "ip_address")
    list_filter = ("action",)
    search_fields = ("summary", "target_repr", "actor_name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
