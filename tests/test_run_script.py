"""scripts/run.py (`make run`): its children reach the web server it starts, on whatever PORT."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_run_script(monkeypatch, port: str):
    monkeypatch.setenv("PORT", port)
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_workers_and_notifications_point_at_the_port_the_portal_runs_on(monkeypatch):
    run = load_run_script(monkeypatch, "8421")
    env: dict[str, str] = {}
    run.portal_urls(env)
    assert env == {"PORTAL_INTERNAL_URL": "http://127.0.0.1:8421", "PORTAL_BASE_URL": "http://127.0.0.1:8421"}


def test_urls_an_operator_set_are_kept(monkeypatch):
    run = load_run_script(monkeypatch, "8421")
    env = {
        "PORTAL_INTERNAL_URL": "http://portal.internal:8000",
        "PORTAL_BASE_URL": "https://portal.example.com",
    }
    run.portal_urls(env)
    assert env == {
        "PORTAL_INTERNAL_URL": "http://portal.internal:8000",
        "PORTAL_BASE_URL": "https://portal.example.com",
    }
