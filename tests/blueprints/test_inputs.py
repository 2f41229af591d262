import pytest

from blueprints.inputs import validate_inputs
from blueprints.spec import load_blueprint
from tests.processes import ROOT

SANDBOX = ROOT / "terraform" / "blueprints" / "local-sandbox"
SERVERLESS = ROOT / "terraform" / "blueprints" / "serverless-api"


@pytest.fixture(scope="module")
def sandbox():
    return load_blueprint(SANDBOX)


@pytest.fixture(scope="module")
def serverless():
    return load_blueprint(SERVERLESS)


def test_tier_defaults_fill_missing_values(sandbox):
    result = validate_inputs(sandbox, {"name": "shop-dev", "tier": "prod"})
    assert result.ok, result.errors
    assert result.values["app_replicas"] == 3 and result.values["cache_size_mb"] == 1024


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "my env"}, "name", "lowercase letters"),
        ({"name": "-bad"}, "name", "lowercase letters"),
        ({"app_replicas": "-1"}, "app_replicas", "at least 1"),
        ({"app_replicas": "2.5"}, "app_replicas", "whole number"),
        ({"app_replicas": "lots"}, "app_replicas", "whole number"),
        ({"app_replicas": "nan"}, "app_replicas", "finite"),
        ({"greeting": '${file("/etc/passwd")}'}, "greeting", "template sequences"),
        ({"greeting": "%{ for x in y }"}, "greeting", "template sequences"),
        ({"tier": "qa"}, "tier", "dev, staging, prod"),
        ({"enable_cache": "maybe"}, "enable_cache", "yes or no"),
        ({"surprise": "1"}, "surprise", "Unknown input"),
    ],
)
def test_bad_values_get_a_clear_error_on_their_field(sandbox, data, field, message):
    result = validate_inputs(sandbox, {"name": "ok-name", "tier": "dev", **data})
    assert field in result.errors
    assert message in result.errors[field]


def test_hidden_fields_are_not_sent(sandbox):
    result = validate_inputs(
        sandbox, {"name": "ok-name", "tier": "dev", "enable_cache": False, "cache_size_mb": "1"}
    )
    assert result.ok, result.errors  # cache_size_mb is hidden by show_if, so its bad value does not matter
    assert "cache_size_mb" not in result.values


def test_aws_blueprint_rejects_unknown_region_and_negative_memory(serverless):
    memory_field = next(f for f in serverless.fields if "memory" in f.name)
    result = validate_inputs(
        serverless, {"name": "api-dev", "tier": "dev", "region": "mars-1", memory_field.name: "-128"}
    )
    assert "Unknown region 'mars-1'" in result.errors["region"] and "us-east-1" in result.errors["region"]
    assert "at least" in result.errors[memory_field.name]


@pytest.mark.parametrize(
    ("field", "value", "found"),
    [
        ("greeting", "hi\x00there", "U+0000 (NUL)"),
        ("greeting", "hi\nthere", "U+000A (LINE FEED)"),
        ("greeting", "\x1b[31mred", "U+001B (ESC)"),
        ("greeting", "del\x7f", "U+007F (DEL)"),
        ("greeting", "c1\x85c", "U+0085 (control character)"),
        ("api_token", "tok\x00en", "U+0000 (NUL)"),
    ],
)
def test_control_characters_are_refused_with_a_clear_message(sandbox, field, value, found):
    result = validate_inputs(sandbox, {"name": "shop-dev", "tier": "dev", field: value})
    assert f"Must not contain control characters: found {found}" in result.errors[field]


def test_a_sensitive_value_may_span_lines_but_a_plain_one_may_not(sandbox):
    key = "-----BEGIN KEY-----\r\nAAAA\tBBBB\n-----END KEY-----"
    result = validate_inputs(sandbox, {"name": "shop-dev", "tier": "dev", "api_token": key})
    assert "api_token" not in result.errors and result.values["api_token"] == key
    result = validate_inputs(sandbox, {"name": "shop-dev", "tier": "dev", "greeting": "a\tb"})
    assert "Tabs and line breaks are not allowed here" in result.errors["greeting"]
