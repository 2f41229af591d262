import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from blueprints.spec import BLUEPRINTS_DIR, load_blueprint
from portal.audit.models import AuditEvent
from portal.catalog.models import Blueprint, BlueprintVersion
from portal.catalog.services import (
    VersionFrozen,
    blueprint_publish,
    blueprint_version_delete,
    blueprints_sync,
)
from portal.core.crypto import decrypt_json, encrypt_json
from portal.requests.models import EnvironmentRequest
from tests.factories import (
    EnvironmentFactory,
    EnvironmentRequestFactory,
    published_blueprints,
)
from tests.factories import post_sandbox_request_form as post_form


@pytest.fixture
def catalog(db):
    return published_blueprints()


def test_sync_publishes_every_blueprint_once(catalog):
    assert {"local-sandbox", "serverless-api"} <= set(catalog)
    count = BlueprintVersion.objects.count()
    outcomes = blueprints_sync()
    assert {outcome for _, outcome in outcomes} == {"unchanged"}
    assert BlueprintVersion.objects.count() == count
    snapshot = catalog["serverless-api"].latest_version.source_files
    assert any(name.startswith("modules/") for name in snapshot), "shared modules are pinned with the version"


def make_request(version, user, team):
    return EnvironmentRequestFactory(
        team=team, requester=user, blueprint_version=version, environment_name="pinned"
    )


def test_a_pinned_version_is_frozen_and_a_new_version_leaves_it_alone(sandbox, requester, team, tmp_path):
    make_request(sandbox, requester, team)
    spec = load_blueprint(BLUEPRINTS_DIR / "local-sandbox")
    changed = spec.__class__(
        **{**spec.__dict__, "files": {**spec.files, "blueprints/local-sandbox/extra.tf": "#"}}
    )
    with pytest.raises(VersionFrozen, match="new version"):
        blueprint_publish(spec=changed)
    with pytest.raises(VersionFrozen, match="cannot be deleted"):
        blueprint_version_delete(version=sandbox, actor=requester)

    bumped = spec.__class__(
        **{
            **changed.__dict__,
            "metadata": {
                **spec.metadata,
                "version": "1.1.0",
                "changelog": [{"version": "1.1.0", "changes": "Adds extra.tf"}],
            },
        }
    )
    new_version, outcome = blueprint_publish(spec=bumped)
    assert outcome == "created"
    sandbox.refresh_from_db()
    assert "blueprints/local-sandbox/extra.tf" not in sandbox.source_files
    assert Blueprint.objects.get(slug="local-sandbox").latest_version == new_version
    assert EnvironmentRequest.objects.get().blueprint_version == sandbox
    assert AuditEvent.objects.filter(
        action="blueprint_version.published", target_id=str(new_version.pk)
    ).exists()


def test_an_unpinned_version_can_be_deleted(sandbox, platform_admin):
    blueprint_version_delete(version=sandbox, actor=platform_admin)
    assert not BlueprintVersion.objects.filter(pk=sandbox.pk).exists()


def test_catalog_pages_anonymous_and_signed_in(client, catalog, requester, django_assert_max_num_queries):
    list_url = reverse("catalog:list")
    assert client.get(list_url).status_code == 302
    client.force_login(requester)
    with django_assert_max_num_queries(6):
        response = client.get(list_url)
    html = response.content.decode()
    assert html.count('data-testid="blueprint-card"') == len(catalog)
    assert html.count('data-testid="cost-range"') == len(catalog) and "incomplete" not in html
    assert "diagram.svg" in html

    detail = client.get(reverse("catalog:detail", args=["local-sandbox"])).content.decode()
    for text in ("Application instances", "app_url", "Terraform source", "RTO target", "First version"):
        assert text in detail
    diagram = client.get(reverse("catalog:diagram", args=["local-sandbox", "1.0.0"]))
    assert diagram["Content-Type"] == "image/svg+xml" and b"<svg" in diagram.content
    assert "default-src 'none'" in diagram["Content-Security-Policy"]
    assert client.get(reverse("catalog:detail", args=["no-such"])).status_code == 404


BAD_VALUES = {
    "name": "my env",
    "app_replicas": "-1",
    "greeting": '${file("/etc/passwd")}',
}


def test_bad_values_show_errors_and_store_nothing(client, catalog, requester, team):
    client.force_login(requester)
    audit_before = AuditEvent.objects.count()
    response = post_form(client, team, **BAD_VALUES)
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was saved" in html
    for field in BAD_VALUES:
        assert f'data-field="{field}"' in html, field
    assert "template sequences" in html and "at least 1" in html
    assert EnvironmentRequest.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_htmx_validation_swaps_only_messages_and_cost_and_tier_change_loads_defaults(
    client, catalog, requester, team
):
    client.force_login(requester)
    url = reverse("catalog:request-validate", args=["local-sandbox"])
    common = {
        "team": team.pk,
        "tier": "dev",
        "rendered_tier": "dev",
        "rendered_profile": "medium",
        "usage_profile": "medium",
    }
    partial = client.post(
        url, {**common, "name": "Bad Name", "app_replicas": "99"}, headers={"HX-Request": "true"}
    )
    html = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in html and "<form" not in html
    assert 'id="err-name" class="field-error" hx-swap-oob="true"' in html and 'data-field="name"' in html
    assert 'data-field="app_replicas"' in html and 'id="cost-result"' in html
    assert 'name="app_replicas"' not in html  # inputs are never re-sent while the user types
    cleared = client.post(
        url, {**common, "name": "good-name", "app_replicas": "2"}, headers={"HX-Request": "true"}
    )
    assert 'data-field="name"' not in cleared.content.decode()  # the old message is swapped away

    tier = client.post(
        url,
        {**common, "name": "ok-name", "tier": "prod", "app_replicas": "1"},
        headers={"HX-Request": "true"},
    )
    assert tier["HX-Retarget"] == "#request-form" and tier["HX-Reswap"] == "outerHTML"
    html = tier.content.decode()
    assert 'name="app_replicas"' in html and 'value="3"' in html  # prod's default replaced what was typed
    assert EnvironmentRequest.objects.count() == 0


def test_valid_request_is_stored_with_the_secret_encrypted(client, catalog, requester, team):
    client.force_login(requester)
    response = post_form(client, team, api_token="tok-very-secret-1234", enable_cache="on")
    assert response.status_code == 302
    env_request = EnvironmentRequest.objects.get()
    assert env_request.inputs["enable_cache"] is True and "api_token" not in env_request.inputs
    assert "tok-very-secret-1234" not in env_request.secret_inputs
    assert decrypt_json(env_request.secret_inputs) == {"api_token": "tok-very-secret-1234"}
    event = AuditEvent.objects.get(action="request.drafted")
    assert "tok-very-secret-1234" not in json.dumps(event.data) + event.summary
    detail = client.get(response["Location"]).content.decode()
    assert "stored encrypted" in detail and "tok-very-secret-1234" not in detail


def test_requesting_for_another_team_is_refused(client, catalog, requester, outsider):
    client.force_login(requester)
    response = post_form(client, outsider.memberships.get().team)
    assert response.status_code == 400
    assert "Choose one of your teams" in response.content.decode()
    assert EnvironmentRequest.objects.count() == 0


def test_request_pages_are_scoped_to_the_team(client, sandbox, requester, team, outsider):
    env_request = make_request(sandbox, requester, team)
    client.force_login(outsider)
    assert client.get(reverse("requests:detail", args=[env_request.pk])).status_code == 404
    assert "pinned" not in client.get(reverse("requests:list")).content.decode()
    client.force_login(requester)
    assert "pinned" in client.get(reverse("requests:list")).content.decode()


def test_blueprints_list_json_maps_the_seeds(db, capsys):
    call_command("blueprints", "list", "--format", "json")
    rows = {row["slug"]: row for row in json.loads(capsys.readouterr().out)}
    seeds = sorted(row["seed"] for row in rows.values() if row["seed"])
    assert [seed[:3] for seed in seeds] == ["000", "001", "002", "003", "004"]
    assert rows["local-sandbox"]["seed"] is None
    assert all(row["tiers"] == ["dev", "staging", "prod"] and row["versions"] for row in rows.values())


def test_custom_usage_numbers_reprice_and_bad_ones_are_refused(client, catalog, requester, team):
    client.force_login(requester)
    url = reverse("catalog:request-validate", args=["lambda-aurora"])
    base = {
        "team": team.pk,
        "name": "usage-env",
        "tier": "dev",
        "rendered_tier": "dev",
        "region": "us-east-1",
    }
    hx = {"HX-Request": "true"}
    medium = client.post(url, {**base, "usage_profile": "medium"}, headers=hx).content.decode()
    custom = client.post(
        url, {**base, "usage_profile": "custom", "usage__lambda_requests_per_month": "900000000"}, headers=hx
    ).content.decode()
    assert 'data-testid="custom-usage"' in custom

    def total(html):
        return html.split('data-testid="cost-total">', 1)[1].split("<", 1)[0]

    assert total(custom) != total(medium)
    for bad, message in [("-5", "zero or more"), ("1e30", "plausible"), ("lots", "must be a number")]:
        html = client.post(
            url, {**base, "usage_profile": "custom", "usage__lambda_requests_per_month": bad}, headers=hx
        ).content.decode()
        assert message in html and 'data-testid="cost-total"' not in html


def test_change_form_is_prefilled_from_the_environment_and_keeps_its_name(client, sandbox, requester, team):
    environment = EnvironmentFactory(
        team=team,
        owner=requester,
        name="live-env",
        blueprint_version=sandbox,
        tier="staging",
        state_password=encrypt_json("pw"),
        inputs={"app_replicas": 4, "greeting": "kept"},
    )
    client.force_login(requester)
    url = reverse("catalog:request", args=["local-sandbox"])
    html = client.get(url, {"environment": environment.pk}).content.decode()
    assert 'value="live-env"' in html and "readonly" in html and 'value="kept"' in html
    assert 'name="rendered_version"' in html and "(current)" in html
    assert client.get(url, {"environment": "junk"}).status_code == 404
    response = post_form(
        client, team, environment=environment.pk, name="renamed", app_replicas="5", tier="staging"
    )
    assert response.status_code == 302
    change = EnvironmentRequest.objects.get()
    assert (change.environment, change.environment_name, change.inputs["app_replicas"]) == (
        environment,
        "live-env",
        5,
    )


def test_required_fields_are_marked_before_any_error(client, catalog, requester):
    client.force_login(requester)
    html = client.get(reverse("catalog:request", args=["serverless-api"])).content.decode()
    for field in ("team", "name", "tier", "region"):
        label = html.split(f'<label for="id_{field}">', 1)[1].split("</label>", 1)[0]
        assert 'class="required"' in label, field
    assert "{#" not in html and "Each change posts" not in html  # the comment is not shown
    assert 'data-field="' not in html  # no error yet


def test_live_answer_names_only_targets_on_the_page(client, catalog, requester, team):
    """Each out-of-band element of a live answer has its twin on the page (no oobErrorNoTarget)."""
    import re

    client.force_login(requester)
    for slug in ("local-sandbox", "serverless-api"):
        page = client.get(reverse("catalog:request", args=[slug])).content.decode()
        live = client.post(
            reverse("catalog:request-validate", args=[slug]),
            {
                "team": team.pk,
                "name": "x",
                "tier": "dev",
                "rendered_tier": "dev",
                "rendered_profile": "medium",
            },
            headers={"HX-Request": "true"},
        ).content.decode()
        targets = re.findall(r'id="([^"]+)"[^>]*hx-swap-oob', live)
        assert targets and all(f'id="{target}"' in page for target in targets), slug
