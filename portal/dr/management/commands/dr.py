"""`manage.py dr profiles [--format json]`: each blueprint's DR targets and runbook steps."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from blueprints.spec import DrProfile
from portal.catalog.models import Blueprint


class Command(BaseCommand):
    help = "DR profiles of the published blueprints."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        profiles = sub.add_parser(
            "profiles", help="targets and runbook steps of each blueprint's latest version"
        )
        profiles.add_argument("--format", choices=["text", "json"], default="text")
        sub.add_parser("demo", help="load the demo AWS environment into the local AWS emulator")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "demo":
            from portal.dr.demo import demo_aws_environment_load

            environment = demo_aws_environment_load()
            self.stdout.write(
                f"demo AWS environment: {environment} (in the local AWS emulator)"
                if environment
                else "demo AWS environment: skipped (no AWS_ENDPOINT_URL, or no catalog/demo users yet)"
            )
            return
        rows = []
        for blueprint in Blueprint.objects.select_related("latest_version").order_by("slug"):
            version = blueprint.latest_version
            if version is None or "dr" not in version.metadata:
                continue
            profile = DrProfile.from_dict(version.metadata["dr"])
            rows.append(
                {
                    "blueprint": blueprint.slug,
                    "version": version.version,
                    "rto_minutes": profile.rto_minutes,
                    "rpo_minutes": profile.rpo_minutes,
                    "assumed": profile.assumed,
                    "assumption": profile.assumption,
                    "schedule": profile.schedule,
                    "runbooks": [{"name": r.name, "steps": list(r.steps)} for r in profile.runbooks],
                }
            )
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['blueprint']} {row['version']}: RTO {row['rto_minutes']:.0f} min, "
                f"RPO {row['rpo_minutes']:.0f} min{' (assumed)' if row['assumed'] else ''}; "
                + ", ".join(r["name"] for r in row["runbooks"])
            )
