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


# --- access requests ----------------------------------------------------------------------------------------------


class AccessRequestForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you need it for: the vendor's owners read this before they decide.",
    )


class ApproveForm(forms.Form):
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=365, initial=30, label="Access for (days)", help_text="From 1 to 365 days."
    )
    nda = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="NDA (optional)",
        help_text="With an NDA, access opens only when the buyer accepts it.",
    )


class DenyForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Reason")


class ReactivateForm(forms.Form):
    expires_in_days = forms.IntegerField(min_value=1, max_value=365, initial=30, label="Access for (days)")


class AcceptNdaForm(forms.Form):
    accept = forms.BooleanField(label="I accept", help_text="On behalf of my organization.")
    nda_sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)


class AccessRuleForm(forms.Form):
    engaged_buyers = forms.BooleanField(
        required=False, label="Approve buyers who engage this agent", help_text="An engagement started and not ended."
    )
    email_domains = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Approve buyers whose users' e-mail domains are all on this list",
        help_text="One domain per line (or comma-separated), e.g. northwind.example. Every member of the buyer "
        "organization must have an address on a listed domain.",
    )
    expires_in_days = forms.IntegerField(min_value=1, max_value=365, initial=30, label="Access for (days)")
    nda = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="NDA for automatic approvals (optional)",
    )

    def domains(self) -> list[str]:
        raw = self.cleaned_data.get("email_domains", "")
        return [part.strip() for part in raw.replace(",", "\n").splitlines() if part.strip()]
