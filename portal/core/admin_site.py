"""The Django admin site, whose door follows the platform-admin role (portal.core.permissions),
not Django's is_staff/is_superuser flags."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from portal.core.permissions import can_use_admin


class PortalAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's own login form lets in platform admins (Django's asks for is_staff)."""

    def confirm_login_allowed(self, user: Any) -> None:
        AuthenticationForm.confirm_login_allowed(self, user)
        if not can_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class PortalAdminSite(admin.AdminSite):
    site_header = "Infrastructure portal admin"
    login_form = PortalAdminAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return can_use_admin(request.user)
