"""docker-compose.yml cannot run here (no Docker engine): check it is complete and points at real code."""

import importlib
import re

import yaml

from tests.processes import ROOT


def load():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_have_healthchecks_and_volumes():
    compose = load()
    assert set(compose["services"]) == {"postgres", "redis", "web", "worker", "worker-2", "beat", "recovery"}
    for name, service in compose["services"].items():
        assert "healthcheck" in service, name
        assert service.get("volumes"), name
        assert service.get("restart") == "unless-stopped", name
    assert {"postgres-data", "redis-data", "portal-data"} <= set(compose["volumes"])


def test_each_command_points_at_something_in_the_project():
    compose = load()
    commands = {name: " ".join(svc.get("command", [])) for name, svc in compose["services"].items()}
    wsgi_module, attr = re.search(r"gunicorn (\S+):(\S+)", commands["web"]).groups()
    assert hasattr(importlib.import_module(wsgi_module), attr)
    assert "manage.py migrate" in commands["web"] and (ROOT / "manage.py").exists()
    for name in ("worker", "worker-2", "beat"):
        app_module = re.search(r"celery -A (\S+)", commands[name]).group(1)
        assert importlib.import_module(app_module).app.main == "portal"
    queues = re.search(r"-Q (\S+)", commands["worker"]).group(1).split(",")
    assert {"runs", "drills", "images"} <= set(queues)
    assert (ROOT / "Dockerfile").exists()
    assert compose["services"]["web"]["build"] == "."


def test_two_workers_with_their_own_disk_and_a_recovery_process():
    services = load()["services"]
    workers = [name for name, svc in services.items() if " worker " in " ".join(svc.get("command", []))]
    assert len(workers) >= 2
    names = [re.search(r"-n (\S+)", " ".join(services[w]["command"])).group(1) for w in workers]
    assert len(set(names)) == len(names)  # distinct host names
    data_volumes = [next(v for v in services[w]["volumes"] if v.endswith(":/data")) for w in workers]
    assert len(set(data_volumes)) == len(data_volumes)  # no shared data folder
    command = services["recovery"]["command"]
    assert command[-2:] == ["manage.py", "runs_recover"]
    from django.core.management import get_commands

    assert get_commands()["runs_recover"] == "portal.runs"
