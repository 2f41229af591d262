from django.contrib import admin

from portal.dr.models import AwsSettings, Drill, DrillResource, DrillSchedule


@admin.register(AwsSettings)
class AwsSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "region", "role_arn"]


@admin.register(DrillSchedule)
class DrillScheduleAdmin(admin.ModelAdmin):
    list_display = ["environment", "frequency", "next_due_at", "overdue_at", "customized"]
    raw_id_fields = ["environment", "last_drill", "updated_by"]


class DrillResourceInline(admin.TabularInline):
    model = DrillResource
    extra = 0
    readonly_fields = ["resource_id", "state", "created_at", "updated_at"]


@admin.register(Drill)
class DrillAdmin(admin.ModelAdmin):
    list_display = ["pk", "environment", "runbook", "status", "rto_achieved_s", "rpo_api_s", "created_at"]
    list_filter = ["status", "runbook"]
    raw_id_fields = ["run", "environment"]
    inlines = [DrillResourceInline]
