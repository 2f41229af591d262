import json
import os
import re
import stat
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.processes import ROOT


def boot(**env: str) -> subprocess.CompletedProcess[str]:
    unset = {"SECRET_KEY", "DEBUG", "PORTAL_ENV", "FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_KEY"}
    full_env = {k: v for k, v in os.environ.items() if k not in unset}
    full_env.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); print('started'); " + full_env.pop("CODE", ""),
        ],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"PORTAL_ENV": "production", "SECRET_KEY": "x" * 50, "DEBUG": "true"}, "DEBUG is on"),
        ({"PORTAL_ENV": "production", "DEBUG": "false"}, "SECRET_KEY is the development key"),
        (
            {"PORTAL_ENV": "production", "DEBUG": "false", "SECRET_KEY": "k" * 50},
            "FIELD_ENCRYPTION_KEYS is not set; secrets at rest need a key of their own",
        ),
    ],
)
def test_production_refuses_unsafe_settings_and_says_why(env, reason):
    result = boot(**env)
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr and reason in result.stderr


def test_production_starts_with_safe_settings():
    result = boot(
        PORTAL_ENV="production",
        DEBUG="false",
        SECRET_KEY="k" * 50,
        FIELD_ENCRYPTION_KEYS=f"{KEY_1},{KEY_2}",
    )
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


KEY_1, KEY_2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
PRINT_KEYS = "from django.conf import settings; print(','.join(settings.FIELD_ENCRYPTION_KEYS))"


def boot_keys(**env: str) -> str:
    result = boot(**env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_old_single_key_variable_still_counts_and_comes_last(tmp_path):
    assert boot_keys(FIELD_ENCRYPTION_KEY=KEY_2, PORTAL_DATA_DIR=str(tmp_path), CODE=PRINT_KEYS) == KEY_2
    both = boot_keys(
        FIELD_ENCRYPTION_KEYS=KEY_1,
        FIELD_ENCRYPTION_KEY=KEY_2,
        PORTAL_DATA_DIR=str(tmp_path),
        CODE=PRINT_KEYS,
    )
    assert both == f"{KEY_1},{KEY_2}"
    assert not (tmp_path / "field-encryption.key").exists()
    result = boot(PORTAL_ENV="production", DEBUG="false", SECRET_KEY="k" * 50, FIELD_ENCRYPTION_KEY=KEY_2)
    assert result.returncode == 0, result.stderr


def test_development_generates_one_private_key_in_the_data_folder(tmp_path):
    first = boot_keys(PORTAL_DATA_DIR=str(tmp_path), CODE=PRINT_KEYS)
    key_file = tmp_path / "field-encryption.key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    Fernet(first.encode())  # a valid key
    assert boot_keys(PORTAL_DATA_DIR=str(tmp_path), CODE=PRINT_KEYS) == first


def test_a_malformed_key_is_refused_by_position_without_echoing_it(tmp_path):
    result = boot(FIELD_ENCRYPTION_KEYS=f"{KEY_1},not-a-key-123", PORTAL_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert (
        "Encryption key 2 of FIELD_ENCRYPTION_KEYS" in result.stderr and "not-a-key-123" not in result.stderr
    )


PRODUCTION_ENV = {
    "PORTAL_ENV": "production",
    "DEBUG": "false",
    "SECRET_KEY": "pR0d-" + "x7Kq2-Lm9Z" * 6,
    "FIELD_ENCRYPTION_KEYS": KEY_1,
}
HTTPS_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)


def https_settings(**env: str) -> dict:
    names = ", ".join(repr(name) for name in HTTPS_SETTINGS)
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in ({names},)}}))"
    )
    unset = {"SECRET_KEY", "DEBUG", "PORTAL_ENV", "FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_KEY"}
    full_env = {k: v for k, v in os.environ.items() if k not in unset}
    full_env.update(env)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_mode_turns_on_https_settings_and_env_vars_tune_them(tmp_path):
    production = https_settings(**PRODUCTION_ENV)
    assert production == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }
    tuned = https_settings(**PRODUCTION_ENV, SECURE_HSTS_SECONDS="600", SECURE_SSL_REDIRECT="false")
    assert (tuned["SECURE_HSTS_SECONDS"], tuned["SECURE_SSL_REDIRECT"]) == (600, False)
    development = https_settings(PORTAL_DATA_DIR=str(tmp_path))
    assert not any(development[name] for name in HTTPS_SETTINGS)


def test_check_deploy_in_production_mode_leaves_only_the_documented_warning(tmp_path):
    unset = {"SECRET_KEY", "DEBUG", "PORTAL_ENV", "FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_KEY"}
    full_env = {k: v for k, v in os.environ.items() if k not in unset}
    full_env.update(PRODUCTION_ENV, PORTAL_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    warnings = sorted(set(re.findall(r"\((\w+\.\w\d+)\)", result.stdout + result.stderr)))
    # W021 (HSTS preload) is a choice for the domain's owner, explained in docs/operations.md.
    assert warnings == ["security.W021"], result.stdout + result.stderr
    assert "security.W021" in (ROOT / "docs" / "operations.md").read_text()
