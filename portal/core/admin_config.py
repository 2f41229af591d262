"""django.contrib.admin's AppConfig with the portal's site (portal.core.admin_site), whose door
follows the platform-admin role. Listed in INSTALLED_APPS instead of "django.contrib.admin"."""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "portal.core.admin_site.PortalAdminSite"
