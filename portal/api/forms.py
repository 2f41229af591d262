"""The form that creates a personal access token."""

from __future__ import annotations

from django import forms

from portal.core.validators import validate_single_line_text

EXPIRY_DAYS = ((7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year"))


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        validators=[validate_single_line_text],
        help_text="What the token is for, e.g. “CI pipeline” or “my laptop”.",
    )
    expires_in_days = forms.TypedChoiceField(label="Expires in", choices=EXPIRY_DAYS, coerce=int, initial=30)
    read_only = forms.BooleanField(
        required=False, label="Read-only", help_text="Can read everything you can, but change nothing."
    )
