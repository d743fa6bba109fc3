"""Forms of the engagements and ledger pages (the services validate again; these shape the input)."""

from __future__ import annotations

from django import forms

from reputation.models import LedgerEntry


class EngagementForm(forms.Form):
    agent = forms.SlugField(max_length=80, help_text="The agent's slug, e.g. refund-bot.")
    monthly_fee = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, help_text="The monthly fee its service credits are a percent of."
    )
    currency = forms.RegexField(r"^[A-Z]{3}$", max_length=3, initial="EUR", help_text="ISO 4217, e.g. EUR.")
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    pact = forms.IntegerField(required=False, min_value=1, help_text="Only when the agent has several pacts in force.")


class LedgerFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any state"), *LedgerEntry.Status.choices], required=False)
    agent = forms.SlugField(max_length=80, required=False)
    currency = forms.RegexField(r"^[A-Z]{3}$", max_length=3, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(max_length=1000, required=False)
