"""The toolchain check in the portal (catalog, detail, form, /toolchain/, `manage.py toolchain`,
the refused submit, the failure sentence on the run page) and the page glitches of issue 10."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from blueprints.inputs import validate_inputs
from portal.catalog import toolchain
from portal.catalog.models import Blueprint
from portal.catalog.services import blueprints_sync
from portal.catalog.toolchain import BlueprintNotRunnable, toolchain_facts
from portal.environments.models import Environment, EnvironmentStatus
from portal.requests.models import RequestState
from portal.requests.policy import ApprovalFact, PolicySpec, RequestFacts, evaluate
from portal.requests.services import environment_request_create, environment_request_submit
from portal.runs.jobs import environments_drift_schedule
from portal.runs.models import Run, RunKind, RunLogLine, RunStatus
from tests.factories import EnvironmentFactory
from workers.tasks import toolchain_refresh

TOO_OLD = "Terraform 1.0.3 is older than this blueprint&#x27;s required &gt;= 1.5.7"
AURORA_INPUTS = {
    "name": "orders-dev",
    "tier": "dev",
    "region": "us-east-1",
    "image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1",
    "alarm_email": "ops@example.com",
}


@pytest.fixture(autouse=True)
def isolated_toolchain(settings, tmp_path, monkeypatch):
    """This test's own report file and memory, and no AWS credentials at all."""
    settings.TOOLCHAIN_REPORT_FILE = tmp_path / "toolchain.json"
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    toolchain._memo.update(key=None, facts=None, at=0.0)
    yield
    toolchain._memo.update(key=None, facts=None, at=0.0)


@pytest.fixture
def catalog(db):
    blueprints_sync()
    return {b.slug: b.latest_version for b in Blueprint.objects.select_related("latest_version")}


@pytest.fixture
def aurora_draft(catalog, requester, team):
    with transaction.atomic():
        return environment_request_create(
            requester=requester,
            team=team,
            blueprint_version=catalog["lambda-aurora"],
            inputs=validate_inputs(catalog["lambda-aurora"].as_spec(), AURORA_INPUTS),
        )


def test_catalog_detail_and_form_say_whether_a_blueprint_runs_here(client, requester, catalog):
    client.force_login(requester)
    page = client.get(reverse("catalog:list")).content.decode()
    assert page.count("cannot run here yet") == 5 and page.count("ready to run here") == 1
    assert TOO_OLD in page
    detail = client.get(reverse("catalog:detail", args=["lambda-aurora"])).content.decode()
    assert TOO_OLD in detail and "TERRAFORM_PROVIDER_MIRROR" in detail
    assert f'href="{reverse("toolchain-configure")}"' in detail  # a real link to what to configure
    help_page = client.get(reverse("toolchain-configure")).content.decode()
    assert "terraform providers mirror" in help_page and "AWS_PROFILE" in help_page
    assert "no working AWS credentials" in detail
    form = client.get(reverse("catalog:request", args=["lambda-aurora"])).content.decode()
    assert TOO_OLD in form and "save a draft" in form
    sandbox = client.get(reverse("catalog:detail", args=["local-sandbox"])).content.decode()
    assert "ready to run here" in sandbox and "cannot run here" not in sandbox


def test_submitting_what_cannot_run_is_refused_and_the_draft_kept(client, requester, aurora_draft):
    client.force_login(requester)
    draft_page = client.get(reverse("requests:detail", args=[aurora_draft.pk])).content.decode()
    assert "cannot run here yet" in draft_page and TOO_OLD in draft_page  # warned before the click
    response = client.post(reverse("requests:submit", args=[aurora_draft.pk]), follow=True)
    text = response.content.decode()
    assert "cannot run on this installation, so the request was not submitted" in text
    assert TOO_OLD in text and "TERRAFORM_BIN" in text and "The draft stays saved" in text
    aurora_draft.refresh_from_db()
    assert aurora_draft.state == RequestState.DRAFT and aurora_draft.environment_id is None
    assert Run.objects.count() == 0 and Environment.objects.count() == 0
    with pytest.raises(BlueprintNotRunnable), transaction.atomic():
        environment_request_submit(request=aurora_draft, actor=requester)
    # The draft can still be estimated: the form for it answers with a price.
    estimate = client.get(reverse("catalog:request", args=["lambda-aurora"])).content.decode()
    assert 'data-testid="cost-total"' in estimate


def sandbox_draft(requester, team, catalog):
    """A draft request for a local-sandbox environment named shop-dev."""
    return environment_request_create(
        requester=requester,
        team=team,
        blueprint_version=catalog["local-sandbox"],
        inputs=validate_inputs(catalog["local-sandbox"].as_spec(), {"name": "shop-dev", "tier": "dev"}),
    )


def test_what_runs_here_is_still_submitted(requester, team, catalog):
    with transaction.atomic():
        draft = sandbox_draft(requester, team, catalog)
        run = environment_request_submit(request=draft, actor=requester)
    assert run.kind == RunKind.PLAN
    draft.refresh_from_db()
    assert draft.state == RequestState.PLANNING


def test_toolchain_page_lists_tools_providers_identity_and_readiness(client, platform_admin, catalog):
    client.force_login(platform_admin)
    page = client.get(reverse("toolchain")).content.decode()
    assert "<strong>1.0.3</strong> linux_amd64" in page
    assert "Packer" in page and "hashicorp/null" in page
    assert "none: no AWS credentials are configured" in page
    assert page.count('<span class="badge bad">not ready</span>') == 5
    assert page.count('<span class="badge ok">ready</span>') == 1
    assert client.get(reverse("toolchain") + "?refresh=1").status_code == 200


def test_toolchain_command_refreshes_the_shared_report(settings, catalog):
    out = StringIO()
    call_command("toolchain", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["facts"]["terraform_version"] == "1.0.3"
    rows = {row["slug"]: row for row in report["blueprints"]}
    assert rows["local-sandbox"]["ready"] is True
    assert rows["lambda-aurora"]["ready"] is False
    assert rows["lambda-aurora"]["required_terraform"] == [">= 1.5.7"]
    assert rows["lambda-aurora"]["problems"][0]["configure"] == "TERRAFORM_BIN"
    # Other processes read the file the command wrote instead of running Terraform again.
    saved = json.loads(settings.TOOLCHAIN_REPORT_FILE.read_text())
    saved["facts"]["terraform_version"] = "1.9.8"
    settings.TOOLCHAIN_REPORT_FILE.write_text(json.dumps(saved))
    toolchain._memo.update(key=None, facts=None, at=0.0)
    assert toolchain_facts().terraform_version == "1.9.8"
    toolchain_refresh()  # the beat task re-checks and rewrites the shared report
    assert json.loads(settings.TOOLCHAIN_REPORT_FILE.read_text())["facts"]["terraform_version"] == "1.0.3"
    assert toolchain_facts().terraform_version == "1.0.3"
    table = StringIO()
    call_command("toolchain", stdout=table)
    version = rows["lambda-aurora"]["version"]
    assert f"lambda-aurora {version}: NOT READY. Terraform 1.0.3 is older" in table.getvalue()


def failed_plan(environment, env_request, lines):
    run = Run.objects.create(
        kind=RunKind.PLAN,
        environment=environment,
        request=env_request,
        status=RunStatus.FAILED,
        finished_at=timezone.now(),
        error="terraform init failed (exit code 1)",
        log_lines_count=len(lines),
    )
    RunLogLine.objects.bulk_create(
        RunLogLine(run=run, seq=seq, stream="stdout", level="error", message=message)
        for seq, message in enumerate(lines, start=1)
    )
    return run


@pytest.fixture
def failed_aurora(aurora_draft, requester, team, catalog):
    environment = EnvironmentFactory(
        team=team,
        owner=requester,
        name="orders-dev",
        blueprint_version=catalog["lambda-aurora"],
        region="us-east-1",
        status=EnvironmentStatus.PENDING,
    )
    aurora_draft.environment = environment
    aurora_draft.state = RequestState.FAILED
    aurora_draft.save()
    run = failed_plan(
        environment, aurora_draft, ["Error: Invalid validation error message", "  on variables.tf line 62"]
    )
    return environment, aurora_draft, run


def test_a_failed_run_leads_with_one_sentence_of_cause(client, requester, failed_aurora):
    environment, env_request, run = failed_aurora
    client.force_login(requester)
    page = client.get(reverse("runs:detail", args=[run.pk])).content.decode()
    cause = page.index('data-testid="failure-cause"')
    assert TOO_OLD in page[cause : cause + 300]
    assert cause < page.index('data-testid="run-log"')  # above the raw log
    replan = client.post(reverse("requests:replan", args=[env_request.pk]), follow=True).content.decode()
    assert "cannot run on this installation" in replan and Run.objects.count() == 1  # nor re-planned
    final = client.get(reverse("runs:log", args=[run.pk]) + "?after=0").content.decode()
    assert TOO_OLD in final  # the live page gets it when the run ends
    other = failed_plan(environment, env_request, ["Error: no valid credential sources found"])
    page = client.get(reverse("runs:detail", args=[other.pk])).content.decode()
    assert "AWS refused the run: the workers have no valid AWS credentials." in page


def test_a_failed_plan_reads_plan_failed_not_pending(client, requester, failed_aurora):
    environment, env_request, _run = failed_aurora
    client.force_login(requester)
    detail = client.get(reverse("environments:detail", args=[environment.pk])).content.decode()
    assert '<span class="badge failed">Plan failed</span>' in detail and "Pending" not in detail
    assert "the plan failed, nothing was applied" in detail
    listing = client.get(reverse("environments:list")).content.decode()
    assert '<span class="badge failed">Plan failed</span>' in listing
    assert '<span class="badge pending">' not in listing
    request_page = client.get(reverse("requests:detail", args=[env_request.pk])).content.decode()
    assert '<span class="badge failed">Plan failed</span>' in request_page


def test_submit_banner_does_not_claim_the_plan_is_running(client, requester, team, catalog):
    with transaction.atomic():
        draft = sandbox_draft(requester, team, catalog)
    client.force_login(requester)
    page = client.post(reverse("requests:submit", args=[draft.pk]), follow=True).content.decode()
    assert "the plan run is queued" in page and "the plan is running" not in page


def test_inputs_have_labels_and_outputs_are_lists_or_json(client, requester, team, catalog):
    environment = EnvironmentFactory(
        team=team,
        owner=requester,
        name="shop-dev",
        blueprint_version=catalog["local-sandbox"],
        inputs={"app_replicas": 2, "enable_cache": True, "greeting": "hi"},
        outputs={
            "ids": {"value": ["2820a", "2820b"], "sensitive": False},
            "tags": {"value": {"Blueprint": "local-sandbox"}, "sensitive": False},
            "token": {"value": "secret-value", "sensitive": True},
        },
        monthly_cost_usd=Decimal("0"),
    )
    client.force_login(requester)
    page = client.get(reverse("environments:detail", args=[environment.pk])).content.decode()
    assert "Application instances" in page and "<code>app_replicas</code>" in page
    assert "<li><code>2820a</code></li>" in page and "[&#x27;2820a" not in page
    assert "&quot;Blueprint&quot;: &quot;local-sandbox&quot;" in page and "{&#x27;Blueprint" not in page
    assert "secret-value" not in page
    assert "$0.00<span" in page and "$0.0<" not in page
    with transaction.atomic():
        draft = environment_request_create(
            requester=requester,
            team=team,
            blueprint_version=catalog["local-sandbox"],
            inputs=validate_inputs(
                catalog["local-sandbox"].as_spec(),
                {"name": "shop-next", "tier": "dev", "api_token": "s3cret"},
            ),
            estimate={"total_monthly_usd": 0.0},
        )
    page = client.get(reverse("requests:detail", args=[draft.pk])).content.decode()
    assert "<th>Application instances<div" in page and "<th>API token<div" in page
    assert "secret, stored encrypted" in page and "s3cret" not in page
    assert "Form estimate: $0.00/month." in page


def test_the_free_tier_is_offered_only_where_aws_costs_exist(client, requester, catalog):
    client.force_login(requester)
    sandbox = client.get(reverse("catalog:request", args=["local-sandbox"])).content.decode()
    assert "Apply the AWS free tier" not in sandbox
    aws = client.get(reverse("catalog:request", args=["serverless-api"])).content.decode()
    assert "Apply the AWS free tier" in aws


def test_a_pattern_error_names_the_rule_not_the_help_text(catalog):
    spec = catalog["local-sandbox"].as_spec()
    result = validate_inputs(spec, {"name": "shop-dev", "tier": "dev", "greeting": "héllo 👋"})
    assert result.errors["greeting"] == (
        "Use only letters, digits, spaces and , . ! ? ' -, at most 200 characters. "
        "Not allowed here: “é”, “👋”."
    )
    result = validate_inputs(spec, {"name": "shop-dev", "tier": "dev", "image_id": "img 1"})
    assert result.errors["image_id"].endswith("Not allowed here: space.")
    aurora = catalog["lambda-aurora"].as_spec()
    result = validate_inputs(aurora, {**AURORA_INPUTS, "image_uri": "nginx:latest"})
    assert result.errors["image_uri"].startswith("Must match the pattern ^[0-9]{12}")


def test_the_approvals_still_needed_are_counted_in_good_english():
    facts = RequestFacts(
        requester_id=1, kind="create", tier="staging", monthly_cost_usd=Decimal(1), over_budget=False
    )
    one = evaluate(PolicySpec(name="one", tier="staging", required_approvals=1), facts, [])
    assert one.needs == ["1 more approval from the team's approvers"]
    two = evaluate(
        PolicySpec(name="two", tier="prod", required_approvals=2),
        facts,
        [
            ApprovalFact(
                approver_id=2, is_team_approver=True, is_platform_admin=False, is_budget_approver=False
            )
        ],
    )
    assert two.needs == ["1 more approval from the team's approvers (2 distinct people in all)"]
    none = evaluate(PolicySpec(name="two", tier="prod", required_approvals=2), facts, [])
    assert none.needs == ["2 more approvals from the team's approvers (2 distinct people in all)"]
    routed = evaluate(PolicySpec(name="one", tier="staging"), replace(facts, routed_to_admins=True), [])
    assert routed.needs == ["1 more approval from the platform admins (routed to them)"]


def test_scheduled_drift_checks_skip_environments_that_cannot_run_here(catalog, sandbox, team, requester):
    aurora = EnvironmentFactory(team=team, owner=requester, blueprint_version=catalog["lambda-aurora"])
    local = EnvironmentFactory(team=team, owner=requester, blueprint_version=sandbox)
    assert environments_drift_schedule() == 1  # every hour it would only fail, with nothing drifted
    assert [run.environment for run in Run.objects.filter(kind=RunKind.DRIFT)] == [local]
    assert not Run.objects.filter(environment=aurora).exists()
