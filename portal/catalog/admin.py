from django.contrib import admin

from portal.catalog.models import Blueprint, BlueprintVersion
from portal.catalog.services import blueprint_version_delete
from portal.core.permissions import can_use_admin


@admin.register(Blueprint)
class BlueprintAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "runtime", "seed", "latest_version", "is_active")
    readonly_fields = ("slug", "seed", "runtime", "latest_version")


@admin.register(BlueprintVersion)
class BlueprintVersionAdmin(admin.ModelAdmin):
    """Versions are published from terraform/blueprints with `blueprints sync`; here they are read-only."""

    list_display = ("blueprint", "version", "published_at", "changes")
    readonly_fields = (
        "blueprint",
        "version",
        "changes",
        "metadata",
        "source_sha256",
        "published_by",
        "published_at",
    )
    exclude = ("source_files",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return obj is not None and not obj.in_use_by() and can_use_admin(request.user)

    def delete_model(self, request, obj):
        blueprint_version_delete(version=obj, actor=request.user)
