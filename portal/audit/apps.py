from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _on_connection_created(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        from portal.audit.triggers import sqlite_register_flush_function

        sqlite_register_flush_function(connection)


class AuditConfig(AppConfig):
    name = "portal.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        connection_created.connect(_on_connection_created, dispatch_uid="portal.audit.sqlite_flush_function")

        from axes.signals import user_locked_out

        from portal.audit.receivers import audit_login_locked_out

        user_locked_out.connect(audit_login_locked_out, dispatch_uid="portal.audit.login_locked_out")

        from portal.audit.services import audit_encryption_keys_rotated
        from portal.core.signals import encryption_keys_rotated

        encryption_keys_rotated.connect(audit_encryption_keys_rotated, dispatch_uid="audit.keys_rotated")
