"""The Django side: policy sets saved, versioned and audited with a diff; the admin's syntax
check; sync from policies/; results stored on a plan run; the test-policy page's permission."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.policies.engine import PolicyContext
from portal.policies.models import PolicyEvaluation, PolicySet, PolicySetVersion
from portal.policies.selectors import policies_in_scope, policy_report_stored
from portal.policies.services import (
    PolicyInvalid,
    policy_report_for_run,
    policy_set_save,
    policy_sets_sync,
)
from portal.runs.models import Run, RunKind, RunPlanData, RunStatus
from tests.portal.policies.plans import load_fixture

ROOT = Path(__file__).resolve().parents[3]

SOURCE = """package portal.no_big_volumes

import rego.v1

violations(inp) := {v |
	some r in inp.plan.resource_changes
	r.type == "aws_ebs_volume"
	r.change.after.size > 25
	v := {"msg": sprintf("%s is larger than 25 GB", [r.address]), "resource": r.address}
}
"""

BROKEN = "package portal.no_big_volumes\n\nimport rego.v1\n\nviolations(inp) := {x | x := }\n"


@pytest.fixture
def plan_run(db):
    run = Run.objects.create(kind=RunKind.PLAN, status=RunStatus.SUCCEEDED)
    RunPlanData.objects.create(run=run, plan_json=load_fixture("cloudfront-ec2", "prod"))
    return run


def save(**kwargs):
    defaults = {"name": "no_big_volumes", "source": SOURCE, "actor": None, "severity": "deny"}
    return policy_set_save(**{**defaults, **kwargs})


@pytest.mark.django_db
def test_saving_versions_and_audits_with_a_diff(platform_admin):
    policy_set, outcome = save(actor=platform_admin, tiers=["prod"])
    assert (outcome, policy_set.version) == ("created", 1)
    created = AuditEvent.objects.get(action="policy_set.created")
    assert created.actor == platform_admin
    assert "+\tr.change.after.size > 25\n" in created.data["diff"]

    changed = SOURCE.replace("> 25", "> 40").replace("25 GB", "40 GB")
    policy_set, outcome = save(source=changed, actor=platform_admin, tiers=["prod", "staging"])
    assert (outcome, policy_set.version) == ("updated", 2)
    updated = AuditEvent.objects.get(action="policy_set.updated")
    diff = updated.data["diff"]
    assert "-\tr.change.after.size > 25\n" in diff and "+\tr.change.after.size > 40\n" in diff
    assert updated.data["metadata_changes"] == {"tiers": [["prod"], ["prod", "staging"]]}
    assert list(PolicySetVersion.objects.filter(policy_set=policy_set).values_list("version", flat=True)) == [
        2,
        1,
    ]
    assert PolicySetVersion.objects.get(policy_set=policy_set, version=1).source == SOURCE

    assert save(source=changed, actor=platform_admin, tiers=["prod", "staging"])[1] == "unchanged"
    assert AuditEvent.objects.filter(action__startswith="policy_set.").count() == 2


@pytest.mark.django_db
def test_a_policy_that_does_not_compile_is_refused_and_nothing_is_written():
    with pytest.raises(PolicyInvalid, match="Compile error"):
        save(source=BROKEN)
    assert not PolicySet.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_the_audit_event_commits_or_rolls_back_with_the_change():
    with pytest.raises(RuntimeError), transaction.atomic():
        save()
        raise RuntimeError("the caller's transaction fails")
    assert not PolicySet.objects.exists() and not AuditEvent.objects.exists()


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)  # the admin lets platform admins in by their role
    return client


def admin_form(**overrides):
    data = {
        "name": "no_big_volumes",
        "description": "EBS volumes stay small.",
        "severity": "warn",
        "enabled": "on",
        "blueprints_text": "cloudfront-ec2",
        "tiers_text": "prod",
        "resource_types_text": "aws_ebs_volume",
        "change_fields_text": "size",
        "source": SOURCE,
        "tests": "",
    }
    return {**data, **overrides}


@pytest.mark.django_db
def test_admin_shows_the_compile_error_and_saves_nothing(admin_client):
    response = admin_client.post(reverse("admin:policies_policyset_add"), admin_form(source=BROKEN))
    assert response.status_code == 200
    assert "Compile error" in response.content.decode()
    assert "line 5" in response.content.decode()
    assert not PolicySet.objects.exists()


@pytest.mark.django_db
def test_admin_saves_through_the_service(admin_client, platform_admin):
    response = admin_client.post(reverse("admin:policies_policyset_add"), admin_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    policy_set = PolicySet.objects.get()
    assert (policy_set.version, policy_set.severity, policy_set.tiers) == (1, "warn", ["prod"])
    assert policy_set.blueprints == ["cloudfront-ec2"] and policy_set.resource_types == ["aws_ebs_volume"]
    assert policy_set.change_fields == ["size"]
    assert AuditEvent.objects.get(action="policy_set.created").actor == platform_admin

    url = reverse("admin:policies_policyset_change", args=[policy_set.pk])
    changed = SOURCE.replace("> 25", "> 30")
    assert admin_client.post(url, admin_form(source=changed)).status_code == 302
    policy_set.refresh_from_db()
    assert policy_set.version == 2
    assert "+\tr.change.after.size > 30\n" in AuditEvent.objects.get(action="policy_set.updated").data["diff"]

    response = admin_client.post(
        reverse("admin:policies_policyset_delete", args=[policy_set.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not PolicySet.objects.exists()
    assert AuditEvent.objects.filter(action="policy_set.deleted").count() == 1


@pytest.mark.django_db
def test_sync_loads_the_repository_folder_once():
    results = policy_sets_sync(root=ROOT / "policies")
    assert len(results) == 8 and {outcome for _, outcome in results} == {"created"}
    assert PolicySet.objects.get(name="stateful_destroy").break_glass
    assert PolicySet.objects.get(name="prod_multi_az").tiers == ["prod"]
    assert {outcome for _, outcome in policy_sets_sync(root=ROOT / "policies")} == {"unchanged"}
    PolicySet.objects.filter(name="cost_tags").update(enabled=False)
    policy_sets_sync(root=ROOT / "policies")
    assert not PolicySet.objects.get(name="cost_tags").enabled  # an admin's switch survives a sync


@pytest.mark.django_db
def test_only_enabled_in_scope_sets_are_evaluated_and_the_report_is_stored(plan_run):
    save(name="no_big_volumes", tiers=["prod"])
    save(name="off", source=SOURCE.replace("no_big_volumes", "off"), enabled=False)
    save(name="dev_only", source=SOURCE.replace("no_big_volumes", "dev_only"), tiers=["dev"])
    save(name="other_bp", source=SOURCE.replace("no_big_volumes", "other_bp"), blueprints=["eks-platform"])
    assert [p.name for p in policies_in_scope(blueprint="cloudfront-ec2", tier="prod")] == ["no_big_volumes"]

    context = PolicyContext(blueprint="cloudfront-ec2", tier="prod", team="payments")
    report = policy_report_for_run(run=plan_run, context=context)
    (result,) = report.results
    assert result.policy == "no_big_volumes" and result.outcome == "deny"
    assert result.messages[0].resources == ("aws_ebs_volume.data",)
    stored = PolicyEvaluation.objects.get(run=plan_run)
    assert stored.passed is False and stored.context["tier"] == "prod"
    assert policy_report_stored(run=plan_run) == report


@pytest.mark.django_db
def test_a_run_without_plan_json_fails_closed(db):
    run = Run.objects.create(kind=RunKind.PLAN, status=RunStatus.FAILED)
    report = policy_report_for_run(run=run, context=PolicyContext(tier="dev"))
    assert not report.passed and report.errors[0].error == "The run has no plan JSON to check."


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["policies:list", "policies:test"])
def test_pages_are_for_platform_admins_only(client, requester, approver, platform_admin, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    for user in (requester, approver):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(platform_admin)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_test_page_runs_a_stored_set_and_a_draft_against_a_stored_plan(
    client, platform_admin, requester, plan_run
):
    policy_set, _ = save(tiers=["dev"])  # out of scope for this run: the test page ignores scope
    draft = SOURCE.replace("no_big_volumes", "draft_rule").replace("> 25", "> 1000")
    data = {
        "policy_sets": [policy_set.pk],
        "draft_name": "draft_rule",
        "draft_severity": "warn",
        "draft_source": draft,
        "run": plan_run.pk,
        "tier": "prod",
        "blueprint": "cloudfront-ec2",
    }
    client.force_login(requester)
    assert client.post(reverse("policies:test"), data).status_code == 403
    client.force_login(platform_admin)
    response = client.post(reverse("policies:test"), data)
    assert response.status_code == 200
    report = response.context["report"]
    assert {r.policy: r.outcome for r in report.results} == {"no_big_volumes": "deny", "draft_rule": "pass"}
    page = response.content.decode()
    assert "aws_ebs_volume.data is larger than 25 GB" in page
    assert 'href="#resource-aws_ebs_volume.data"' in page
    assert not PolicyEvaluation.objects.exists()  # testing stores nothing

    broken = client.post(
        reverse("policies:test"),
        {**data, "policy_sets": [], "draft_source": BROKEN.replace("no_big_volumes", "draft_rule")},
    )
    (result,) = broken.context["report"].results
    assert result.outcome == "error" and "Compile error" in result.error
    assert client.post(reverse("policies:test"), {**data, "run": 99999}).status_code == 400


@pytest.mark.django_db
def test_policy_list_filters_and_its_query_count_does_not_grow(client, platform_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(platform_admin)
    save(name="first", source=SOURCE.replace("no_big_volumes", "first"), severity="warn")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("policies:list")).status_code == 200
        return len(captured.captured_queries)

    one = queries()
    for i in range(19):
        save(name=f"p{i}", source=SOURCE.replace("no_big_volumes", f"p{i}"))
    assert queries() == one
    page = client.get(reverse("policies:list"), {"severity": "warn"}).content.decode()
    assert "<code>first</code>" in page and "<code>p0</code>" not in page
