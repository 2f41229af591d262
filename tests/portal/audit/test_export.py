"""The audit log's filters (actor, action, target, time) and the CSV export that uses them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.audit.filtersets import AuditEventFilterSet
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record


@pytest.fixture
def events(requester, approver, team):
    with transaction.atomic():
        audit_record(actor=requester, action="request.drafted", summary="drafted shop", target=team)
        audit_record(actor=approver, action="approval.granted", summary='=HYPERLINK("x")', target=team)
        audit_record(actor=None, action="run.reaped", summary="reaped a run")
    return list(AuditEvent.objects.order_by("id"))


def filtered(**params) -> list[str]:
    filterset = AuditEventFilterSet(params, queryset=AuditEvent.objects.order_by("id"))
    assert filterset.is_valid(), filterset.errors
    return [event.action for event in filterset.qs]


@pytest.mark.django_db
def test_filters_by_actor_action_target_and_time(events, requester, team):
    assert filtered(actor=requester.username.upper()) == ["request.drafted"]
    assert filtered(action="run.reaped") == ["run.reaped"]
    assert filtered(target=f"accounts.team:{team.pk}") == ["request.drafted", "approval.granted"]
    assert filtered(target=str(team)[:4]) == ["request.drafted", "approval.granted"]
    middle = events[1].created_at
    assert filtered(since=middle.isoformat()) == ["approval.granted", "run.reaped"]
    assert filtered(until=middle.isoformat()) == ["request.drafted"]
    assert filtered(since=(timezone.now() + dt.timedelta(hours=1)).isoformat()) == []


@pytest.mark.django_db
def test_csv_export_applies_the_filters_and_defuses_formulas(client, events, platform_admin, team):
    client.force_login(platform_admin)
    response = client.get(reverse("audit:export"), {"target": f"accounts.team:{team.pk}"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["action"] for row in rows] == ["request.drafted", "approval.granted"]
    assert rows[1]["summary"] == '\'=HYPERLINK("x")'
    assert rows[1]["prev_hash"] == rows[0]["hash"] == events[0].hash


@pytest.mark.django_db
def test_csv_export_refuses_a_bad_time_and_non_admins(client, events, platform_admin, requester):
    client.force_login(requester)
    assert client.get(reverse("audit:export")).status_code == 403
    client.force_login(platform_admin)
    response = client.get(reverse("audit:export"), {"since": "yesterday"})
    assert response.status_code == 400
    assert "since" in response.content.decode()
