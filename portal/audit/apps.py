from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "portal.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from portal.audit.services import audit_encryption_keys_rotated
        from portal.core.signals import encryption_keys_rotated

        encryption_keys_rotated.connect(audit_encryption_keys_rotated, dispatch_uid="audit.keys_rotated")
