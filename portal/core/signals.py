"""What the core app tells the apps above it. Receivers run inside the sender's transaction."""

from django.dispatch import Signal

# Every stored secret was re-encrypted with the first key. Keywords: key (its fingerprint, never
# the key), reencrypted ({column: count}). The audit app records it (AuditConfig.ready).
encryption_keys_rotated = Signal()
