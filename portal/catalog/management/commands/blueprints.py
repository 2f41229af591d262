"""`python manage.py blueprints list|check|sync|refresh-schema`."""

from __future__ import annotations

import json
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from blueprints import checks, provider_schema
from blueprints.spec import SpecError, load_all
from portal.catalog.models import BlueprintVersion
from portal.catalog.services import VersionFrozen, blueprints_sync


class Command(BaseCommand):
    help = "Blueprint catalog tools: list, check (every offline check), sync (publish), refresh-schema."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        list_parser = sub.add_parser("list", help="List blueprints from terraform/blueprints.")
        list_parser.add_argument("--format", choices=["json", "table"], default="table")
        check_parser = sub.add_parser("check", help="Run every offline check; exit 1 on any failure.")
        check_parser.add_argument(
            "--with-provider",
            action="store_true",
            help="Also init + validate every AWS blueprint with the real hashicorp/aws provider (and plan "
            "each tier with dummy credentials where possible); needs TERRAFORM_BIN >= 1.5.7 and a mirror "
            "or registry holding hashicorp/aws, and says `skipped` and why otherwise.",
        )
        sub.add_parser("sync", help="Publish every blueprint folder as a version in the catalog.")
        sub.add_parser("refresh-schema", help="Rebuild the AWS provider schema snapshot (npm pack).")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, "handle_" + action.replace("-", "_"))(**options)

    def handle_list(self, *, format: str, **options) -> None:
        try:
            specs = load_all()
        except SpecError as exc:
            raise CommandError(str(exc)) from exc
        published: dict[str, list[str]] = {}
        for slug, version in BlueprintVersion.objects.values_list("blueprint__slug", "version"):
            published.setdefault(slug, []).append(version)
        rows = [
            {
                "slug": spec.slug,
                "title": spec.title,
                "seed": spec.seed,
                "versions": sorted(
                    set(published.get(spec.slug, [])) | {spec.version},
                    key=lambda v: tuple(map(int, v.split("."))),
                ),
                "tiers": list(spec.metadata["tiers"]),
                "runtime": spec.runtime,
            }
            for spec in specs
        ]
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['slug']:18} {row['title'][:44]:44} seed={row['seed'] or '-':26} "
                f"versions={','.join(row['versions'])} tiers={','.join(row['tiers'])}"
            )

    def handle_check(self, *, with_provider: bool = False, **options) -> None:
        env = {**os.environ, "TF_CLI_CONFIG_FILE": settings.TERRAFORM_CLI_CONFIG, "CHECKPOINT_DISABLE": "1"}
        results = checks.run_all(
            terraform_bin=settings.TERRAFORM_BIN,
            packer_bin=settings.PACKER_BIN,
            mirror=settings.TERRAFORM_PROVIDER_MIRROR,
            env=env,
            checkov_bin=settings.CHECKOV_BIN,
        )
        if with_provider:
            results += checks.run_with_provider(
                terraform_bin=settings.TERRAFORM_BIN, mirror=settings.TERRAFORM_PROVIDER_MIRROR, env=env
            )
        for result in results:
            self.stdout.write(str(result))
        failed = [r for r in results if r.status == "fail"]
        skipped = [r for r in results if r.status == "skipped"]
        self.stdout.write(
            f"{len(results)} checks: {len(results) - len(failed) - len(skipped)} ok, "
            f"{len(failed)} failed, {len(skipped)} skipped"
        )
        if failed:
            raise CommandError(f"{len(failed)} blueprint checks failed")

    def handle_sync(self, **options) -> None:
        try:
            outcomes = blueprints_sync(actor=None)
        except (SpecError, VersionFrozen) as exc:
            raise CommandError(str(exc)) from exc
        for version, outcome in outcomes:
            self.stdout.write(f"{outcome:9} {version}")

    def handle_refresh_schema(self, **options) -> None:
        document = provider_schema.refresh()
        self.stdout.write(
            f"wrote {provider_schema.SCHEMA_PATH}: {len(document['resources'])} resource types, "
            f"{len(document['data_sources'])} data source types"
        )
