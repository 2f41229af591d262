from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models

from blueprints.spec import BlueprintSpec, FieldSpec


class Blueprint(models.Model):
    """A catalog entry: an architecture teams can stamp out. Its content lives in versions."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    seed = models.CharField(max_length=100, blank=True, default="", help_text="Seed document it came from.")
    runtime = models.CharField(max_length=10, choices=[("aws", "AWS"), ("local", "Local sandbox")])
    is_active = models.BooleanField(
        default=True, help_text="Inactive blueprints are hidden from the catalog."
    )
    latest_version = models.ForeignKey(
        "BlueprintVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-runtime", "title"]  # the local sandbox first

    def __str__(self) -> str:
        return self.title


class BlueprintVersion(models.Model):
    """An immutable snapshot of a blueprint's Terraform source and metadata.

    Environments and requests pin a version. A run copies this snapshot into its working folder, so
    publishing a new version never changes what an existing environment runs.
    """

    blueprint = models.ForeignKey(Blueprint, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=20)
    changes = models.TextField(help_text="What changed in this version.")
    metadata = models.JSONField()
    source_files = models.JSONField(help_text="Relative path -> file content, as published.")
    source_sha256 = models.CharField(max_length=64)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["blueprint__slug", "-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["blueprint", "version"], name="unique_blueprint_version")
        ]

    def __str__(self) -> str:
        return f"{self.blueprint.slug} {self.version}"

    @cached_property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(FieldSpec.from_dict(item) for item in self.metadata["fields"])

    @property
    def tiers(self) -> dict[str, Any]:
        return dict(self.metadata["tiers"])

    @property
    def dr(self) -> dict[str, Any]:
        return dict(self.metadata["dr"])

    @property
    def services(self) -> list[str]:
        return list(self.metadata["services"])

    @property
    def entry_dir(self) -> str:
        """Where Terraform runs inside the pinned file tree (see blueprints.spec.read_source_files)."""
        return f"blueprints/{self.blueprint.slug}"

    @property
    def diagram_svg(self) -> str:
        return str(self.source_files.get(f"{self.entry_dir}/{self.metadata['diagram']}", ""))

    def as_spec(self) -> BlueprintSpec:
        """The pure-Python view of this snapshot, for input validation and checks."""
        return BlueprintSpec(
            slug=self.blueprint.slug,
            directory=Path(self.entry_dir),
            metadata=self.metadata,
            fields=self.fields,
            files=self.source_files,
        )

    def in_use_by(self) -> list[str]:
        """What pins this version (requests, environments): such a version is frozen."""
        users = []
        for relation in self._meta.related_objects:
            if relation.one_to_many and relation.on_delete is models.PROTECT:
                count = getattr(self, relation.get_accessor_name()).count()
                if count:
                    users.append(f"{count} {relation.related_model._meta.verbose_name_plural}")
        return users

    @property
    def terraform_files(self) -> dict[str, str]:
        return {name: text for name, text in sorted(self.source_files.items()) if name.endswith(".tf")}


class MachineImage(models.Model):
    """A machine image (AMI) built by Packer from a blueprint version's template."""

    blueprint_version = models.ForeignKey(BlueprintVersion, on_delete=models.PROTECT, related_name="images")
    run = models.OneToOneField("runs.Run", on_delete=models.PROTECT, related_name="image")
    artifacts = models.JSONField(help_text="[{region, image_id}] from Packer's manifest.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        ids = ", ".join(f"{a['region'] or 'local'}:{a['image_id']}" for a in self.artifacts)
        return f"{self.blueprint_version} image ({ids})"
