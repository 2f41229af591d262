"""`python manage.py toolchain [--format json]`: re-checks the toolchain and prints each blueprint's
readiness. Run it after changing TERRAFORM_BIN, the provider mirror or the credentials (the web
pages otherwise re-check every TOOLCHAIN_MAX_AGE_S)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from portal.catalog.toolchain import toolchain_report


class Command(BaseCommand):
    help = "Check Terraform, Packer, providers and AWS credentials against every published blueprint."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["json", "table"], default="table")

    def handle(self, *args, format: str, **options) -> None:
        report = toolchain_report(refresh=True)
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2))
            return
        facts = report["facts"]
        self.stdout.write(
            f"Terraform {facts['terraform_version'] or 'missing: ' + facts['terraform_error']} "
            f"({facts['terraform_bin']})"
        )
        self.stdout.write(f"Packer {facts['packer_version'] or 'missing: ' + facts['packer_error']}")
        for provider in facts["providers"]:
            self.stdout.write(
                f"Provider {provider['source']} {provider['version']} "
                f"({', '.join(provider['platforms'])}) in {provider['mirror']}"
            )
        identity = facts["aws_identity"]
        self.stdout.write(f"AWS: {identity['arn'] if identity else facts['aws_error'] or 'not checked'}")
        for row in report["blueprints"]:
            state = "ready" if row["ready"] else "NOT READY"
            self.stdout.write(
                f"{row['slug']} {row['version']}: {state}. {'' if row['ready'] else row['summary']}"
            )
