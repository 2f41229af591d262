"""`python manage.py estimate BLUEPRINT [--tier T] [--profile P] [--region R] [--set name=value ...]
--format table|json`: the same estimate the request form shows."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from blueprints.inputs import REQUIRED_MESSAGE, validate_inputs
from blueprints.spec import AWS_REGIONS, TIERS
from portal.catalog.models import Blueprint
from portal.costs.services import PROFILES, custom_usage, form_estimate


class Command(BaseCommand):
    help = "Estimate the monthly cost of a blueprint."

    def add_arguments(self, parser) -> None:
        parser.add_argument("blueprint")
        parser.add_argument("--tier", default="dev", choices=TIERS)
        parser.add_argument("--profile", default="medium", choices=PROFILES)
        parser.add_argument("--region", default=AWS_REGIONS[0])
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="A form input, e.g. --set lambda_memory_mb=1024 (repeatable).",
        )
        parser.add_argument(
            "--usage",
            action="append",
            default=[],
            metavar="NAME=NUMBER",
            help="Replace one quantity of the usage profile with your own number (repeatable).",
        )
        parser.add_argument("--free-tier", action="store_true", help="Apply the AWS free tier.")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(
        self,
        *args,
        blueprint: str,
        tier: str,
        profile: str,
        region: str,
        set: list[str],
        free_tier: bool,
        format: str,
        usage: list[str],
        **options,
    ) -> None:
        found = Blueprint.objects.filter(slug=blueprint, latest_version__isnull=False).first()
        if found is None:
            known = (
                ", ".join(Blueprint.objects.values_list("slug", flat=True)) or "none (run blueprints sync)"
            )
            raise CommandError(f"Unknown blueprint {blueprint!r}. Known: {known}.")
        version = found.latest_version
        data = {"name": "estimate", "tier": tier, "region": region}
        for item in set:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--set needs NAME=VALUE, got {item!r}")
            data[name.strip()] = value
        result = validate_inputs(version.as_spec(), data)
        if version.blueprint.runtime != "aws":
            result.errors.pop("region", None)
        # Required inputs without a value (bucket names, alarm emails) do not change the cost.
        result.errors = {k: v for k, v in result.errors.items() if v != REQUIRED_MESSAGE}
        if not result.ok:
            raise CommandError("; ".join(f"{k}: {v}" for k, v in result.errors.items()))
        overrides = {}
        for item in usage:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--usage needs NAME=NUMBER, got {item!r}")
            overrides[name.strip()] = value.strip()
        try:
            quantities = custom_usage(version, profile, overrides) if overrides else profile
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        estimate = form_estimate(version=version, inputs=result, profile=quantities, free_tier=free_tier)
        if format == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "blueprint": blueprint,
                        "version": version.version,
                        "tier": tier,
                        "profile": profile,
                        **estimate.to_dict(),
                    },
                    indent=2,
                )
            )
            return
        for item in estimate.line_items:
            cost = {"unpriced": "UNPRICED", "free": "free"}.get(item.status, f"${item.monthly_usd:,.2f}")
            if not item.price_verified:
                cost += " (unverified price)"
            self.stdout.write(f"{item.resource_address[:58]:58} {item.component[:34]:34} {cost:>12}")
        total = f"${estimate.total_monthly_usd:,.2f}/month" + (
            "" if estimate.coverage.complete else " (incomplete)"
        )
        self.stdout.write(f"{'TOTAL':93} {total}")
        self.stdout.write(
            f"{estimate.coverage}; prices {estimate.price_catalog_version}; {region}; "
            f"{tier}/{profile}; free tier {'on' if free_tier else 'off'}"
            + (
                f"; {estimate.unverified_lines} line(s) use an unverified price"
                if estimate.unverified_lines
                else ""
            )
        )
