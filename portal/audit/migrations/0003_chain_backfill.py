from django.db import migrations

import portal.audit.chain


def backfill_hashes(apps, schema_editor):
    """Links the events already stored, in id order, and records the chain head."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    prev_hash = portal.audit.chain.GENESIS_HASH
    last_id = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        fields = {name: getattr(event, name) for name in portal.audit.chain.CONTENT_FIELDS}
        digest = portal.audit.chain.event_hash(fields, prev_hash)
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=prev_hash, hash=digest)
        prev_hash, last_id = digest, event.pk
    AuditChainHead.objects.update_or_create(pk=1, defaults={"last_event_id": last_id, "last_hash": prev_hash})


class Migration(migrations.Migration):
    """Its own migration: PostgreSQL refuses to alter a table with row updates pending in the same
    transaction, and the unique constraint on `hash` can only come once every row has one."""

    dependencies = [
        ("audit", "0002_chain_hash"),
    ]

    operations = [
        migrations.RunPython(backfill_hashes, migrations.RunPython.noop),
    ]
