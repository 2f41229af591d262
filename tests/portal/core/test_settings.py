import os
import subprocess
import sys

import pytest

from tests.processes import ROOT


def boot(**env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "PORTAL_ENV"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
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
    ],
)
def test_production_refuses_unsafe_settings_and_says_why(env, reason):
    result = boot(**env)
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr and reason in result.stderr


def test_production_starts_with_safe_settings():
    result = boot(PORTAL_ENV="production", DEBUG="false", SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
