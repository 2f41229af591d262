"""The request form, generated from a blueprint version's fields.

The form's fields describe and render each input (type, choices, required, label, help, min/max);
judging the values is left to `blueprints.inputs.validate_inputs`, which the API and the CLI call
too, so every entry point accepts and refuses exactly the same values with the same messages.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from blueprints.inputs import REQUIRED_MESSAGE, ValidatedInputs, clean_field, field_visible, validate_inputs
from blueprints.spec import AWS_REGIONS, TIERS, FieldSpec
from portal.catalog.models import BlueprintVersion

COMMON_FIELDS = ("name", "tier", "region")


class RawField(forms.Field):
    """Passes the submitted value through untouched: `validate_inputs` is the one judge."""

    def __init__(self, *, spec_required: bool = False, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.spec_required = spec_required
        if spec_required:
            self.widget.attrs["aria-required"] = "true"


def _display(value: Any) -> Any:
    """A typed value as the form shows it."""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return value


def _spec_field(spec: FieldSpec) -> forms.Field:
    attrs: dict[str, Any] = {"autocomplete": "off"}
    widget: forms.Widget
    if spec.type == "bool":
        return forms.BooleanField(required=False, label=spec.label, help_text=spec.help)
    if spec.type == "choice":
        widget = forms.Select(choices=[(str(choice), str(choice)) for choice in spec.choices])
    elif spec.sensitive:
        attrs["placeholder"] = "stored encrypted; never shown again"
        widget = forms.PasswordInput(render_value=False)  # a secret is never sent back to the browser
    elif spec.type in ("integer", "number"):
        attrs.update({"min": spec.min, "max": spec.max, "step": "any" if spec.type == "number" else None})
        widget = forms.NumberInput()
    else:
        widget = forms.TextInput()
    widget.attrs.update({key: value for key, value in attrs.items() if value is not None})
    return RawField(widget=widget, label=spec.label, help_text=spec.help, spec_required=spec.required)


class RequestForm(forms.Form):
    """A request for a new environment, or for a change of `environment`.

    `live=True` is the as-you-type check: it reports wrong values only; missing ones are reported
    when the form is saved. `reset=True` drops the blueprint's own fields from `data` so that they
    take the (new) tier's defaults.
    """

    team = forms.ChoiceField(
        label="Team",
        error_messages={
            "required": "Choose one of your teams.",
            "invalid_choice": "Choose one of your teams.",
        },
    )
    name = RawField(
        label="Environment name",
        spec_required=True,
        help_text="Lowercase letters, digits and hyphens; it becomes part of resource and DNS names.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. checkout-dev", "autocomplete": "off"}),
    )
    tier = RawField(
        label="Tier",
        spec_required=True,
        help_text="Changing the tier loads that tier's defaults.",
        widget=forms.Select(choices=[(tier, tier) for tier in TIERS]),
    )
    region = RawField(
        label="Region", spec_required=True, widget=forms.Select(choices=[(r, r) for r in AWS_REGIONS])
    )

    def __init__(
        self,
        data: QueryDict | dict[str, Any] | None = None,
        *,
        version: BlueprintVersion,
        teams: list[Any],
        environment: Any = None,
        initial: dict[str, Any] | None = None,
        live: bool = False,
        reset: bool = False,
    ) -> None:
        self.version, self.spec, self.environment, self.live = version, version.as_spec(), environment, live
        self.result: ValidatedInputs | None = None
        if data is not None:
            data = self._with_defaults(data, reset=reset)
        super().__init__(data, initial=self._initial(initial or {}))
        self.fields["team"].choices = [(str(team.pk), team.name) for team in teams]
        if version.blueprint.runtime != "aws":
            del self.fields["region"]
        if environment is not None:
            self.fields["name"].widget.attrs["readonly"] = True
        for spec in self.spec.fields:
            self.fields[spec.name] = _spec_field(spec)
        self.fields["reason"] = forms.CharField(
            label="Why do you need it?", required=False, widget=forms.Textarea(attrs={"rows": 2})
        )
        self.teams = {str(team.pk): team for team in teams}
        for field in self.fields.values():  # marked in the label from the start
            field.marked_required = field.required or getattr(field, "spec_required", False)

    def _tier(self, tier: Any) -> str:
        return tier if tier in TIERS else "dev"

    def _with_defaults(self, data: QueryDict | dict[str, Any], *, reset: bool) -> QueryDict:
        """A field the browser did not send takes its tier's default, as `validate_inputs` would."""
        filled = QueryDict(mutable=True)
        names = {spec.name for spec in self.spec.fields}
        for key in data:
            if not (reset and key in names):
                filled[key] = data[key]
        if self.environment is not None:
            filled["name"] = self.environment.name  # an update keeps the environment's name
        tier = filled.get("tier")
        defaults = self.spec.tier_defaults(tier) if tier in TIERS else {}
        for spec in self.spec.fields:
            if spec.name in filled or (spec.type == "bool" and not reset):
                continue  # an unticked checkbox is not sent: that means False
            value = defaults.get(spec.name)
            if spec.type == "bool":
                if value:
                    filled[spec.name] = "on"
            elif value is not None and not spec.sensitive:
                filled[spec.name] = str(_display(value))
        return filled

    def _initial(self, initial: dict[str, Any]) -> dict[str, Any]:
        tier = self._tier(initial.get("tier"))
        values = {"tier": tier, "region": AWS_REGIONS[0], **self.spec.tier_defaults(tier), **initial}
        return {key: _display(value) for key, value in values.items()}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        data = {
            name: cleaned.get(name, "")
            for name in (*COMMON_FIELDS, *(spec.name for spec in self.spec.fields))
            if name in self.fields and (name in self.data or name == "name")
        }
        for spec in self.spec.fields:
            if spec.type == "bool":
                data[spec.name] = bool(cleaned.get(spec.name))
        self.result = validate_inputs(self.spec, data)
        for field, message in self.result.errors.items():
            if self.live and (message == REQUIRED_MESSAGE or (field == "name" and not data.get("name"))):
                continue
            self.add_error(field if field in self.fields else None, message)
        return cleaned

    @property
    def team_choice(self) -> Any:
        return self.teams.get(self.cleaned_data.get("team", ""))

    @property
    def tier_value(self) -> str:
        return self._tier(self["tier"].value())

    def estimate_inputs(self) -> ValidatedInputs:
        """What the cost estimate is computed from: the checked values, or the defaults."""
        if self.is_bound:
            self.is_valid()
            assert self.result is not None
            return self.result
        values = {
            key: value
            for key, value in self.initial.items()
            if key in {spec.name for spec in self.spec.fields} | set(COMMON_FIELDS)
        }
        return validate_inputs(self.spec, {**values, "name": values.get("name") or "estimate"})

    def rows(self) -> list[dict[str, Any]]:
        """The blueprint's own fields, each with whether its show_if condition holds."""
        values: dict[str, Any] = {}
        for spec in self.spec.fields:
            raw = self[spec.name].value()
            try:
                values[spec.name] = clean_field(spec, raw)
            except ValueError:
                values[spec.name] = raw
        return [
            {"spec": spec, "field": self[spec.name], "visible": field_visible(spec, values)}
            for spec in self.spec.fields
        ]


class DestroyConfirmForm(forms.Form):
    """Confirms a destroy: the environment's name typed out, and why. The service
    (environment_destroy_request) judges both, so the API refuses the same things."""

    confirm_name = forms.CharField(
        required=False,
        label="Type the environment's name to confirm",
        widget=forms.TextInput(attrs={"autocomplete": "off", "aria-required": "true"}),
    )
    reason = forms.CharField(
        required=False,
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "aria-required": "true"}),
    )
