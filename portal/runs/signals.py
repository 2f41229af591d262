"""What the runs app tells the apps above it. Receivers run inside the transaction that set the
run's final status, so what they change commits or rolls back with it."""

from django.dispatch import Signal

# A run reached a final status (succeeded, failed, cancelled, timed out), whatever ended it:
# the worker, a cancel or the reaper. Keyword: run. The requests app moves the run's request on.
run_ended = Signal()
