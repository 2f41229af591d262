"""Runs every benchmark in portal.core.benchmarks and prints one `name value` line per figure."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from portal.core.benchmarks import BENCHMARKS


class Command(BaseCommand):
    help = "Run the benchmarks; print one line per figure."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--only", default="", help="Run only benchmarks whose name contains this text.")

    def handle(self, *args, only: str = "", **options) -> None:
        for path in BENCHMARKS:
            if only and only not in path:
                continue
            for name, value in import_string(path)().items():
                self.stdout.write(f"{name} {value}")
