"""Django's `flush`, allowed past the audit table's append-only triggers.

Flush empties every table, and the test runner calls it after each transactional test. It sets a
flag on its own connection that the triggers honour (see portal/audit/triggers.py); an ordinary
DELETE or TRUNCATE stays refused.
"""

from django.core.management.commands import flush
from django.db import connections

from portal.audit.triggers import FLUSH_SETTING


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        connection.portal_audit_flush = True
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', false)", [FLUSH_SETTING])
        try:
            return super().handle(**options)
        finally:
            connection.portal_audit_flush = False
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, 'off', false)", [FLUSH_SETTING])
