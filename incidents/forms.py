"""Page forms of incidents: they parse what the browser sends; the services decide (their refusals land on the
form's fields through ``trust_portal.web.add_errors_to_form``)."""

from __future__ import annotations

from typing import Any

from django import forms

from incidents.models import ChangeKind, Severity, SignalType, Status, StructuralWeakness
from incidents.services import LOOKBACK_MAX_DAYS
from trust_portal.web import StrictDateTimeField

MOMENT_HELP = "UTC, e.g. 2026-11-28 14:00."


class IncidentForm(forms.Form):
    agent = forms.ChoiceField(label="Agent")
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Severity.choices)
    visible_at = StrictDateTimeField(label="Failure visible at", help_text=MOMENT_HELP)
    detected_by = forms.CharField(max_length=200, label="How it was detected")
    clauses = forms.CharField(
        max_length=2000, required=False, label="Clauses involved", help_text="Clause ids, separated by commas."
    )
    owner = forms.CharField(max_length=150, required=False, help_text="Username of a member of the agent's vendor.")
    lookback_days = forms.IntegerField(
        min_value=1,
        max_value=LOOKBACK_MAX_DAYS,
        initial=30,
        label="Look-back (days)",
        help_text="How far before the failure the first missed signal is looked for.",
    )
    public = forms.BooleanField(required=False, label="Public (everyone may read it)")
    disputes = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
    rulings = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
    origin_type = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)
    origin_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**53 - 1)

    def __init__(self, *args: Any, agents: list[tuple[str, str]], may_publish: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = agents  # type: ignore[attr-defined]
        if not may_publish:
            del self.fields["public"]

    def clean_clauses(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["clauses"].split(",") if c.strip()]

    def _ids(self, name: str) -> list[int]:
        raw = [v.strip() for v in self.cleaned_data[name].split(",") if v.strip()]
        if any(not v.isdigit() or len(v) > 15 for v in raw):
            raise forms.ValidationError("Ids are whole numbers.")
        return [int(v) for v in raw]

    def clean_disputes(self) -> list[int]:
        return self._ids("disputes")

    def clean_rulings(self) -> list[int]:
        return self._ids("rulings")


class PostmortemForm(forms.Form):
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=10000)
    impact = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, required=False)
    broken_assumption = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
        help_text="Which belief about the agent turned out false? Required to close the incident.",
    )
    structural_weakness = forms.ChoiceField(required=False)
    contributing_factors = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        weaknesses = StructuralWeakness.objects.filter(active=True)
        self.fields["structural_weakness"].choices = [("", "— not identified yet —")] + [  # type: ignore[attr-defined]
            (w.slug, w.name) for w in weaknesses
        ]


class RemediationForm(forms.Form):
    title = forms.CharField(max_length=300)
    owner = forms.CharField(max_length=150)
    due_on = forms.DateField(label="Due on", widget=forms.DateInput(attrs={"type": "date"}))
    done = forms.BooleanField(required=False)
    operating_model_change = forms.BooleanField(required=False, label="Changes the operating model")
    change_kind = forms.ChoiceField(choices=[("", "—"), *ChangeKind.choices], required=False, label="It adds")
    pact_version = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=10**6,
        label="Pact version",
        help_text="The number of the version that made it.",
    )
    policy = forms.IntegerField(required=False, min_value=1, max_value=2**53 - 1, label="Policy id")
    policy_revision = forms.IntegerField(required=False, min_value=1, max_value=10**6, label="Policy revision")

    def as_item(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        return {k: v for k, v in data.items() if v not in (None, "") or k in ("title", "owner", "due_on")}


def remediation_formset(extra: int = 0) -> Any:
    return forms.formset_factory(RemediationForm, extra=extra, max_num=50, absolute_max=50, can_delete=True)


class SignalForm(forms.Form):
    type = forms.ChoiceField(choices=SignalType.choices)
    id = forms.IntegerField(required=False, min_value=1, max_value=2**53 - 1, label="Verdict or decision id")
    at = StrictDateTimeField(required=False, label="When (another signal)", help_text=MOMENT_HELP)
    summary = forms.CharField(max_length=300, required=False)
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class NoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label="Note")
    at = StrictDateTimeField(required=False, label="About the moment", help_text=MOMENT_HELP + " Default: now.")


class FilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any status"), *Status.choices], required=False)
    severity = forms.ChoiceField(choices=[("", "any severity"), *Severity.choices], required=False)
    agent = forms.SlugField(required=False, max_length=80)
    weakness = forms.SlugField(required=False, max_length=50)


class MetricsFilterForm(forms.Form):
    vendor = forms.SlugField(required=False, max_length=80, help_text="Vendor organization slug.")
    agent = forms.SlugField(required=False, max_length=80)
    start = StrictDateTimeField(required=False, label="From", help_text=MOMENT_HELP)
    end = StrictDateTimeField(required=False, label="To", help_text=MOMENT_HELP)
    repeat_by = forms.ChoiceField(choices=[("agent", "same agent"), ("vendor", "same vendor")], required=False)
    repeat_window_days = forms.IntegerField(required=False, min_value=1, max_value=3650, label="Repeat window (days)")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            self.add_error("start", "From must be before To.")
        return data
