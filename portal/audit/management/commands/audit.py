"""`manage.py audit verify`: checks the audit log's hash chain and its append-only triggers."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portal.audit.models import AuditEvent
from portal.audit.selectors import audit_chain_verify
from portal.audit.triggers import triggers_missing


class Command(BaseCommand):
    help = "Audit log tools. `verify` walks the hash chain and exits non-zero at the first broken link."

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        verify = subcommands.add_parser("verify", help="Check every event's hash and link, in id order.")
        verify.add_argument(
            "--expect",
            metavar="ID:HASH",
            help="an event id and hash printed by an earlier verify and kept outside the database; "
            "fails unless that event still has that hash",
        )

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if not report.intact:
            raise CommandError(
                f"Audit chain broken at event id {report.broken.event_id}: {report.broken.reason}. "
                f"{report.count} events before it are intact.",
                returncode=2,
            )
        missing = triggers_missing(connection=connection)
        if missing:
            raise CommandError(
                f"Audit chain intact ({report.count} events), but the append-only triggers "
                f"{', '.join(sorted(missing))} are missing from the database.",
                returncode=3,
            )
        if options.get("expect"):
            event_id, _, expected_hash = options["expect"].partition(":")
            stored = AuditEvent.objects.filter(pk=int(event_id)).values_list("hash", flat=True).first()
            if stored != expected_hash:
                raise CommandError(
                    f"Audit chain intact, but event id {event_id} "
                    + ("is gone" if stored is None else f"now has hash {stored}")
                    + f", not the {expected_hash} recorded earlier: the log was rewritten.",
                    returncode=4,
                )
        self.stdout.write(
            f"Audit chain intact: {report.count} events, last event id {report.last_event_id}, "
            f"last hash {report.last_hash}."
        )
