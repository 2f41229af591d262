"""The Django admin site, whose door follows the platform-admin role (portal.core.permissions),
not Django's is_staff/is_superuser flags."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

from portal.core.permissions import can_use_admin


class PortalAdminSite(admin.AdminSite):
    site_header = "Infrastructure portal admin"

    def has_permission(self, request: HttpRequest) -> bool:
        return can_use_admin(request.user)


class PortalAdminConfig(AdminConfig):
    default_site = "portal.core.admin_site.PortalAdminSite"
