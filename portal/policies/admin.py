from django.contrib import admin, messages

from portal.audit.services import client_ip
from portal.policies.forms import PolicySetForm
from portal.policies.models import PolicyEvaluation, PolicySet, PolicySetVersion
from portal.policies.services import PolicyInvalid, policy_set_delete, policy_set_save


@admin.register(PolicySet)
class PolicySetAdmin(admin.ModelAdmin):
    """Edits go through policy_set_save: compiled on clean, versioned and audited with a diff."""

    form = PolicySetForm
    list_display = ("name", "severity", "enabled", "version", "origin", "updated_at")
    list_filter = ("severity", "enabled", "origin")
    readonly_fields = ("version", "origin", "updated_at", "updated_by")
    fieldsets = (
        (None, {"fields": ("name", "description", "severity", "break_glass", "enabled")}),
        ("Scope", {"fields": ("blueprints_text", "tiers_text")}),
        ("Input narrowing (speed)", {"fields": ("resource_types_text", "change_fields_text")}),
        ("Rego", {"fields": ("source", "tests")}),
        ("History", {"fields": ("version", "origin", "updated_at", "updated_by")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # A rename would be a different package; create a new policy instead.
        return (*self.readonly_fields, "name") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved, _ = policy_set_save(
                name=obj.name,
                source=data["source"],
                tests=data.get("tests", ""),
                actor=request.user,
                ip=client_ip(request),
                description=data.get("description", ""),
                severity=data["severity"],
                blueprints=data["blueprints"],
                tiers=data["tiers"],
                resource_types=data["resource_types"],
                change_fields=data["change_fields"],
                break_glass=data.get("break_glass", False),
                enabled=data.get("enabled", True),
            )
        except PolicyInvalid as exc:  # the form's clean already compiled; this is a race
            messages.error(request, str(exc))
            raise
        obj.pk, obj.version = saved.pk, saved.version

    def delete_model(self, request, obj):
        policy_set_delete(policy_set=obj, actor=request.user, ip=client_ip(request))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            policy_set_delete(policy_set=obj, actor=request.user, ip=client_ip(request))


@admin.register(PolicySetVersion)
class PolicySetVersionAdmin(admin.ModelAdmin):
    """Snapshots written by policy_set_save; read-only."""

    list_display = ("policy_set", "version", "created_at", "created_by")
    readonly_fields = ("policy_set", "version", "source", "tests", "metadata", "created_at", "created_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PolicyEvaluation)
class PolicyEvaluationAdmin(admin.ModelAdmin):
    """Stored results of plan runs; read-only."""

    list_display = ("run", "passed", "created_at")
    readonly_fields = ("run", "report", "context", "passed", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
