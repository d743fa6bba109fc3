"""Forms for the evidence pages."""

from __future__ import annotations

from django import forms

from accounts.models import Organization
from evidence.models import Kind, Visibility
from pacts.models import Agent
from trust_portal.web import IdChoiceField, IdMultipleChoiceField, StrictDateTimeField


class EvidenceFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Kind.choices], required=False)
    metric = forms.CharField(required=False, max_length=63)
    source = forms.CharField(required=False, max_length=100)
    observed_after = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Observed from"
    )
    observed_before = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Observed until"
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="An Inspect AI log (.json or .eval), promptfoo results.json, JSONL or CSV in the wire format."
    )
    format = forms.ChoiceField(
        choices=[
            ("inspect", "Inspect AI log"),
            ("promptfoo", "promptfoo results"),
            ("jsonl", "JSONL (wire format)"),
            ("csv", "CSV (wire format)"),
        ]
    )
    metric = forms.CharField(
        required=False,
        max_length=63,
        help_text="Optional: record the tool's score under this metric (e.g. task_success).",
    )
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PUBLIC)


class GrantForm(forms.Form):
    organization = IdChoiceField(queryset=Organization.objects.none(), label="Buyer organization")
    expires_at = StrictDateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), help_text="Optional."
    )
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(kind=Organization.Kind.BUYER).order_by(  # type: ignore[attr-defined]
            "name"
        )  # type: ignore[attr-defined]


class IngestTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “refund-bot CI”.")
    agents = IdMultipleChoiceField(
        queryset=Agent.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The token may submit evidence for these agents only.",
    )
    expires_at = StrictDateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, agents=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["agents"].queryset = agents  # type: ignore[attr-defined]
