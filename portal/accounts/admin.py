from django.contrib import admin
from django.db import transaction

from portal.accounts.models import Membership, Team
from portal.audit.services import audit_record, client_ip


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams, their members, roles and monthly budgets; changes are audited."""

    list_display = ("name", "slug", "cost_centre", "monthly_budget_usd")
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                action="team.changed" if change else "team.created",
                target=obj,
                ip=client_ip(request),
                summary=f"{request.user} saved team {obj}.",
                data={field: str(form.cleaned_data.get(field)) for field in form.changed_data},
            )

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            if formset.has_changed():
                audit_record(
                    actor=request.user,
                    action="team.members_changed",
                    target=form.instance,
                    ip=client_ip(request),
                    summary=f"{request.user} changed the members of {form.instance}.",
                )
