from django.contrib import admin
from django.db import transaction

from portal.audit.services import audit_record, client_ip
from portal.requests.models import Approval, ApprovalPolicy, EnvironmentRequest


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    """Platform admins edit the approval rule of each tier here; every change is audited."""

    list_display = (
        "tier",
        "name",
        "auto_approve_under_usd",
        "required_approvals",
        "require_platform_admin",
        "budget_approver_when_over_budget",
        "destroy_always_needs_approval",
    )

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                action="policy.changed" if change else "policy.created",
                target=obj,
                ip=client_ip(request),
                summary=f"{request.user} saved approval policy {obj}.",
                data={field: str(form.cleaned_data.get(field)) for field in form.changed_data},
            )

    def has_delete_permission(self, request, obj=None):
        return False  # a tier without a policy falls back to the strictest rule; change it instead


class ReadOnlyAdmin(admin.ModelAdmin):
    """Requests and approvals change only through the portal's services (four-eyes, audit)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EnvironmentRequest)
class EnvironmentRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "environment_name", "team", "requester", "tier", "state", "break_glass")
    list_filter = ("state", "kind", "tier", "break_glass")
    exclude = ("secret_inputs",)


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = (
        "request",
        "approver",
        "decision",
        "break_glass",
        "plan_sha256",
        "voided_at",
        "created_at",
    )
    list_filter = ("decision", "break_glass")
