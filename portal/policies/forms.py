from __future__ import annotations

from django import forms

from portal.policies.engine import TIERS, Policy, check_policy
from portal.policies.models import PolicySet


def _list_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.TextInput(attrs={"size": 80})
    )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


class PolicySetForm(forms.ModelForm):
    """The admin form: lists as comma-separated text, and the Rego compiled on clean, so a policy
    that does not compile (or breaks the convention) is refused with the engine's message."""

    blueprints_text = _list_field("Blueprints", "Comma-separated blueprint slugs; empty means all.")
    tiers_text = _list_field("Tiers", f"Comma-separated, of {', '.join(TIERS)}; empty means all.")
    resource_types_text = _list_field(
        "Resource types", "Comma-separated; only these resource changes reach the policy. Empty means all."
    )
    change_fields_text = _list_field(
        "Change fields",
        "Comma-separated; only these keys of change.before/after reach the policy. Empty: all.",
    )

    class Meta:
        model = PolicySet
        fields = ("name", "description", "severity", "break_glass", "enabled", "source", "tests")
        widgets = {
            "source": forms.Textarea(attrs={"rows": 24, "cols": 100, "class": "code"}),
            "tests": forms.Textarea(attrs={"rows": 16, "cols": 100, "class": "code"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["blueprints_text"].initial = ", ".join(self.instance.blueprints)
            self.fields["tiers_text"].initial = ", ".join(self.instance.tiers)
            self.fields["resource_types_text"].initial = ", ".join(self.instance.resource_types)
            self.fields["change_fields_text"].initial = ", ".join(self.instance.change_fields)

    def clean(self):
        data = super().clean()
        data["blueprints"] = _split(data.get("blueprints_text", ""))
        data["tiers"] = _split(data.get("tiers_text", ""))
        data["resource_types"] = _split(data.get("resource_types_text", ""))
        data["change_fields"] = _split(data.get("change_fields_text", ""))
        name = data.get("name") or self.instance.name
        if name and data.get("source") is not None:
            policy = Policy(
                name=name,
                source=data.get("source", ""),
                tests=data.get("tests", ""),
                severity=data.get("severity") or "deny",
                tiers=tuple(data["tiers"]),
            )
            for problem in check_policy(policy):
                self.add_error("source", problem)
        return data


class PolicyTestForm(forms.Form):
    """The "test policy" page: stored policy sets and/or a draft Rego, against a stored plan."""

    policy_sets = forms.ModelMultipleChoiceField(
        queryset=PolicySet.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    draft_name = forms.CharField(
        required=False, max_length=63, help_text="Name of a draft policy (optional)."
    )
    draft_severity = forms.ChoiceField(choices=[(s, s) for s in ("deny", "warn", "info")], initial="deny")
    draft_source = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 14, "cols": 100, "class": "code"})
    )
    run = forms.IntegerField(label="Plan run id", min_value=1)
    tier = forms.ChoiceField(choices=[("", "(from the run)")] + [(t, t) for t in TIERS], required=False)
    blueprint = forms.CharField(required=False, max_length=100, help_text="Empty: from the run.")

    def clean(self):
        data = super().clean()
        if not data.get("policy_sets") and not (data.get("draft_source") or "").strip():
            raise forms.ValidationError("Pick at least one policy set or paste a draft policy.")
        if (data.get("draft_source") or "").strip() and not data.get("draft_name"):
            self.add_error("draft_name", "A draft policy needs the name of its package (portal.<name>).")
        return data
