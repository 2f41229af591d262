"""What happens around a run when it ends, whatever ended it (the worker, a cancel, the reaper)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from portal.environments.backends import s3_lock_release
from portal.environments.models import StateLock
from portal.runs.models import Run, RunStatus


def run_finished(run: Run) -> None:
    """Releases the run's state lock and moves its request along. Call inside the transaction
    that set the final status."""
    assert transaction.get_connection().in_atomic_block
    if run.environment_id and settings.STATE_BACKEND == "s3" and run.status != RunStatus.SUCCEEDED:
        # Terraform unlocks on every normal exit; a killed run can leave its DynamoDB lock.
        transaction.on_commit(lambda: s3_lock_release(run.environment))
    if run.environment_id:
        StateLock.objects.filter(environment_id=run.environment_id, run=run).delete()
        if run.status != RunStatus.SUCCEEDED:
            # A lock taken by this run's Terraform but not tagged with it (e.g. taken before the
            # LOCK handler saw the run) must not outlive the run either.
            StateLock.objects.filter(environment_id=run.environment_id, run__isnull=True).delete()
    if run.request_id:
        from portal.requests.services import request_run_finished

        request_run_finished(request_id=run.request_id, run=run)
