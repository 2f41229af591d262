from django.contrib import admin

from portal.api.models import PersonalAccessToken


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "read_only", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("read_only",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("prefix", "secret_sha256", "last_used_at", "last_used_ip", "created_at")
