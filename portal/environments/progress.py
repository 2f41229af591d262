"""What a pending (never applied) environment is waiting on: its latest request's state, so that a
failed plan reads "Plan failed", never "Pending (not applied yet)".

Environments sit below requests and runs in the layer order, so the requests app registers how to
annotate a queryset and how to label a row when it starts (`progress_register`, from its
AppConfig.ready); until then environments show their own status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

Annotate = Callable[[QuerySet[Any]], QuerySet[Any]]
Label = Callable[[Any], "tuple[str, str] | None"]

_registry: dict[str, Any] = {}


def progress_register(*, annotate: Annotate, label: Label) -> None:
    """Called once by the app that knows about requests and runs."""
    _registry["annotate"], _registry["label"] = annotate, label


def with_progress(queryset: QuerySet[Any]) -> QuerySet[Any]:
    annotate = _registry.get("annotate")
    return annotate(queryset) if annotate else queryset


def status_display(environment: Any) -> tuple[str, str]:
    """(badge class, label) of an environment from `with_progress`."""
    label = _registry.get("label")
    shown = label(environment) if label and environment.status == "pending" else None
    return shown or (environment.status, environment.get_status_display())
