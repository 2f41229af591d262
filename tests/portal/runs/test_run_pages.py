"""The run page and its htmx log poller, without a worker: runs and their log lines are rows made
here, the way the runner stores them (one row per line, `log_lines_count` kept in step)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.core.crypto import encrypt_json
from portal.environments.models import Environment, StateLock
from portal.runs import views as run_views
from portal.runs.models import Run, RunKind, RunLogLine, RunStatus
from tests.factories import EnvironmentFactory

STOP_POLLING = 286  # django-htmx's HttpResponseStopPolling


@pytest.fixture
def environment(team, requester) -> Environment:
    return EnvironmentFactory(team=team, owner=requester, name="shop-dev", state_password=encrypt_json("pw"))


def add_lines(run: Run, *messages: str) -> None:
    """Appends lines after the run's last one, as the runner's buffer does."""
    first = run.log_lines_count + 1
    RunLogLine.objects.bulk_create(
        RunLogLine(run=run, seq=seq, stream="stdout", level="info", message=message)
        for seq, message in enumerate(messages, start=first)
    )
    run.log_lines_count = first + len(messages) - 1
    run.save(update_fields=["log_lines_count"])


def finish(run: Run, status: str = RunStatus.SUCCEEDED) -> None:
    run.status, run.finished_at, run.exit_code = status, timezone.now(), 0
    run.save(update_fields=["status", "finished_at", "exit_code"])


@pytest.fixture
def running(environment, requester) -> Run:
    run = Run.objects.create(
        kind=RunKind.PLAN,
        environment=environment,
        status=RunStatus.RUNNING,
        created_by=requester,
        started_at=timezone.now(),
        worker_host="worker-1",
    )
    add_lines(run, "Initializing the backend...", "Terraform has been successfully initialized!", "Planning")
    return run


def seqs(html: str) -> list[int]:
    return [int(seq) for seq in re.findall(r'data-seq="(\d+)"', html)]


def poll(client, run: Run, after: int | str):
    return client.get(reverse("runs:log", args=[run.pk]), {"after": after}, headers={"HX-Request": "true"})


def test_the_run_page_shows_the_lines_and_polls_after_the_last(client, running, requester):
    client.force_login(requester)
    html = client.get(reverse("runs:detail", args=[running.pk])).content.decode()
    assert seqs(html) == [1, 2, 3]
    assert f'hx-get="{reverse("runs:log", args=[running.pk])}?after=3"' in html
    assert reverse("runs:cancel", args=[running.pk]) in html

    finish(running)
    html = client.get(reverse("runs:detail", args=[running.pk])).content.decode()
    assert seqs(html) == [1, 2, 3]
    assert 'id="log-poller"' not in html and reverse("runs:cancel", args=[running.pk]) not in html


def test_poller_answers_204_when_nothing_is_new(client, running, requester):
    client.force_login(requester)
    response = poll(client, running, 3)
    assert response.status_code == 204 and response.content == b""


def test_poller_sends_only_the_new_lines_and_the_next_poller(client, running, requester):
    client.force_login(requester)
    add_lines(running, "Plan: 2 to add, 0 to change, 0 to destroy.", "Saved the plan")
    response = poll(client, running, 3)
    assert response.status_code == 200
    html = response.content.decode()
    assert seqs(html) == [4, 5]
    assert "Initializing" not in html and "Plan: 2 to add" in html
    assert re.search(r'<span id="log-poller"[^>]*hx-get="[^"]*\?after=5"', html), html
    assert "hx-swap-oob" not in html and "<html" not in html
    assert poll(client, running, 5).status_code == 204


def test_poller_stops_once_the_run_ended_and_every_line_was_sent(client, running, requester):
    client.force_login(requester)
    add_lines(running, "Saved the plan")
    finish(running)

    # The last lines and the stop arrive together.
    response = poll(client, running, 3)
    assert response.status_code == STOP_POLLING
    html = response.content.decode()
    assert seqs(html) == [4]
    assert 'id="run-status" hx-swap-oob="true"' in html and "Succeeded" in html
    assert 'id="log-poller"' not in html

    # A poller that already had every line just gets the final status.
    response = poll(client, running, 4)
    assert response.status_code == STOP_POLLING
    html = response.content.decode()
    assert seqs(html) == [] and 'hx-swap-oob="true"' in html


def test_a_long_finished_log_is_paged_before_polling_stops(client, running, requester, monkeypatch):
    monkeypatch.setattr(run_views, "LOG_PAGE", 2)
    client.force_login(requester)
    add_lines(running, "four", "five")
    finish(running, RunStatus.FAILED)
    first = poll(client, running, 0)
    assert first.status_code == 200 and seqs(first.content.decode()) == [1, 2]
    assert "?after=2" in first.content.decode()
    assert poll(client, running, 2).status_code == 200
    last = poll(client, running, 4)
    assert last.status_code == STOP_POLLING and seqs(last.content.decode()) == [5]
    assert "Failed" in last.content.decode()


def test_a_bad_after_value_starts_from_the_beginning(client, running, requester):
    client.force_login(requester)
    response = poll(client, running, "nonsense")
    assert response.status_code == 200 and seqs(response.content.decode()) == [1, 2, 3]


def test_log_download_has_every_line_in_order(client, running, requester):
    # Stored out of order (the bulk write of a later buffer may land first); the file is by seq.
    RunLogLine.objects.bulk_create(
        RunLogLine(run=running, seq=seq, stream="stderr", level="error", message=f"late line {seq}")
        for seq in (6, 5, 4)
    )
    running.log_lines_count = 6
    running.save(update_fields=["log_lines_count"])
    finish(running)
    client.force_login(requester)
    response = client.get(reverse("runs:log-download", args=[running.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="run-{running.pk}.log"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    messages = [
        "Initializing the backend...",
        "Terraform has been successfully initialized!",
        "Planning",
        "late line 4",
        "late line 5",
        "late line 6",
    ]
    assert len(lines) == len(messages)
    for line, message in zip(lines, messages, strict=True):
        assert line.endswith(" " + message), line
    assert lines[3].split()[1:3] == ["error", "stderr"]


def test_cancelling_a_queued_run_cancels_it_and_is_audited(client, environment, requester):
    queued = Run.objects.create(kind=RunKind.APPLY, environment=environment, created_by=requester)
    StateLock.objects.create(environment=environment, lock_id="l-1", info={"Who": "tf"}, run=queued)
    client.force_login(requester)
    response = client.post(reverse("runs:cancel", args=[queued.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("runs:detail", args=[queued.pk])
    queued.refresh_from_db()
    assert queued.status == RunStatus.CANCELLED and queued.finished_at is not None
    assert f"Cancelled by {requester}" in queued.error
    assert not StateLock.objects.filter(environment=environment).exists()  # released with the run
    event = AuditEvent.objects.get(action="run.cancel_requested")
    assert (event.actor, event.target_type, event.target_id) == (requester, "runs.run", str(queued.pk))

    # The page after the redirect shows it, and polling stops at once.
    html = client.get(response["Location"]).content.decode()
    assert "Cancel requested for run" in html and "Cancelled" in html
    assert poll(client, queued, 0).status_code == STOP_POLLING


def test_cancelling_a_running_run_asks_the_worker_to_stop(client, running, approver):
    client.force_login(approver)
    assert client.post(reverse("runs:cancel", args=[running.pk])).status_code == 302
    running.refresh_from_db()
    assert running.cancel_requested and running.status == RunStatus.RUNNING
    assert AuditEvent.objects.filter(action="run.cancel_requested", target_id=str(running.pk)).exists()


def test_cancelling_a_finished_run_changes_nothing(client, running, requester):
    finish(running)
    client.force_login(requester)
    assert client.post(reverse("runs:cancel", args=[running.pk])).status_code == 302
    running.refresh_from_db()
    assert running.status == RunStatus.SUCCEEDED and not running.cancel_requested
    assert not AuditEvent.objects.filter(action="run.cancel_requested").exists()


def test_cancel_needs_a_post(client, running, requester):
    client.force_login(requester)
    assert client.get(reverse("runs:cancel", args=[running.pk])).status_code == 405
    running.refresh_from_db()
    assert not running.cancel_requested
