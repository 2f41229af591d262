from django.contrib import admin

from portal.accounts.models import Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "cost_centre", "monthly_budget_usd")
    inlines = [MembershipInline]
