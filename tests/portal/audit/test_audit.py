import pytest
from django.db import transaction
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_is_refused(requester):
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        audit_record(actor=requester, action="x.y", summary="nope")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_audit_event_is_append_only(requester, team):
    with transaction.atomic():
        event = audit_record(
            actor=requester, action="team.viewed", summary="looked", target=team, ip="10.0.0.1"
        )
    assert (event.actor_name, event.target_type, event.target_id) == (
        requester.username,
        "accounts.team",
        str(team.pk),
    )
    event.summary = "changed"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "looked"


@pytest.mark.django_db
def test_audit_list_anonymous_requester_and_admin(
    client, requester, platform_admin, django_assert_max_num_queries
):
    with transaction.atomic():
        for i in range(30):
            audit_record(actor=requester, action="thing.done", summary=f"event {i}")
    url = reverse("audit:list")
    assert client.get(url).status_code == 302
    client.force_login(requester)
    assert client.get(url).status_code == 403
    client.force_login(platform_admin)
    # Query count does not grow with the number of events on the page.
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    assert "event 29" in response.content.decode()
    filtered = client.get(url, {"q": "event 7"}).content.decode()
    assert "event 7" in filtered and "event 8" not in filtered
