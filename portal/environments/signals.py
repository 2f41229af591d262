"""What the environments app tells the apps above it. Receivers run inside the sender's
transaction."""

from django.dispatch import Signal

# An active environment reached its expiry. Keyword: environment. A receiver that opens a
# destroy request for it returns the request; one that opens nothing (a destroy request is
# already open, or the environment is busy) returns None.
environment_expired = Signal()
