"""What happens around a run when it ends, whatever ended it (the worker, a cancel, the reaper)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from portal.environments.backends import s3_lock_release
from portal.environments.services import state_locks_release
from portal.runs.models import Run, RunStatus
from portal.runs.signals import run_ended


def run_finished(run: Run) -> None:
    """Releases the run's state lock and tells the apps above (run_ended: the requests app moves
    the run's request along). Call inside the transaction that set the final status."""
    assert transaction.get_connection().in_atomic_block
    if run.environment_id and settings.STATE_BACKEND == "s3" and run.status != RunStatus.SUCCEEDED:
        # Terraform unlocks on every normal exit; a killed run can leave its DynamoDB lock.
        transaction.on_commit(lambda: s3_lock_release(run.environment))
    if run.environment_id:
        state_locks_release(
            environment_id=run.environment_id, run_id=run.pk, untagged_too=run.status != RunStatus.SUCCEEDED
        )
    run_ended.send(sender=Run, run=run)
