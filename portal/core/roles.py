"""The roles a membership gives. They live here, below every app, so the permission rules
(portal.core.permissions) can name them without importing the accounts app."""

from django.db import models


class Role(models.TextChoices):
    REQUESTER = "requester", "Requester"
    APPROVER = "approver", "Approver"
    PLATFORM_ADMIN = "platform_admin", "Platform admin"
