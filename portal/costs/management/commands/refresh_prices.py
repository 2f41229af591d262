"""`python manage.py refresh_prices`: writes a new dated price catalog from the AWS Price List API
(boto3 `pricing` client). Estimates keep the catalog version they were made with."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.costs.engine.pricelist import PRICE_SPECS, fetch_report, write_catalog
from portal.costs.engine.prices import CatalogError, PriceCatalog, latest_catalog_path, load_catalog


def newest_catalog(directory: Path) -> PriceCatalog | None:
    """The newest catalog in ``directory`` (PRICE_CATALOG_DIR): its service names, descriptions and
    notes are kept in the refreshed entries. None when there is no readable one."""
    try:
        return load_catalog(latest_catalog_path(directory))
    except (FileNotFoundError, CatalogError):
        return None


class Command(BaseCommand):
    help = "Refresh the price catalog from the AWS Price List API into a new dated file."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--region",
            action="append",
            dest="regions",
            default=[],
            help="Region to fetch (repeatable; default us-east-1, us-west-2, eu-west-1).",
        )
        parser.add_argument(
            "--catalog-date",
            default=dt.date.today().isoformat(),
            help="Date of the new catalog (YYYY-MM-DD); default today.",
        )
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="KEY",
            help="Refresh only these price keys (repeatable); the rest is carried over.",
        )

    def handle(self, *args, regions: list[str], catalog_date: str, only: list[str], **options) -> None:
        regions = regions or ["us-east-1", "us-west-2", "eu-west-1"]
        specs = None
        if only:
            known = {spec.key: spec for spec in PRICE_SPECS}
            unknown = sorted(set(only) - set(known))
            if unknown:
                raise CommandError(f"No Price List mapping for {', '.join(unknown)}.")
            specs = [known[key] for key in only]
        directory = Path(settings.PRICE_CATALOG_DIR)
        client = boto3.client("pricing", region_name="us-east-1")  # the API lives in us-east-1
        try:
            report = fetch_report(client, regions, specs, template=newest_catalog(directory))
        except (BotoCoreError, ClientError) as exc:
            raise CommandError(f"The Price List API could not be reached: {exc}") from exc
        if not report.entries:
            raise CommandError("The Price List API returned no prices; the catalog was not changed.")
        path = write_catalog(report.entries, directory, catalog_date)
        self.stdout.write(
            f"wrote {path}: {len(report.entries)} prices from the API; {len(report.problems)} problems"
        )
        for problem in report.problems:
            self.stderr.write(f"  {problem}")
