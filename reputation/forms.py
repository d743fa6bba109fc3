"""The access-policy form (pages): fields as a buyer thinks of them, turned into the rules the API takes."""

from __future__ import annotations

from typing import Any

from django import forms

from pacts.models import ConsequenceLevel
from trustcore.score import TIERS


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=120)
    min_tier = forms.ChoiceField(
        choices=[("", "any tier")] + [(t, t) for t in TIERS], required=False, label="Minimum tier"
    )
    min_lower_bound = forms.FloatField(min_value=0, max_value=100, required=False, label="Minimum lower bound (0–100)")
    max_open_disputes = forms.IntegerField(min_value=0, required=False, label="At most this many open disputes")
    required_clauses = forms.CharField(
        required=False, label="Clauses that must be met", help_text="Clause ids, separated by commas or spaces."
    )
    max_evidence_age_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, label="Evidence at most this many days old"
    )
    critical_grace_hours = forms.IntegerField(
        min_value=0,
        max_value=168,
        required=False,
        label="Grace for a suspended agent (hours)",
        help_text="Empty or 0: a suspended agent is denied at once (recommended).",
    )
    consequence_levels = forms.MultipleChoiceField(
        choices=ConsequenceLevel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Allowed consequence levels",
        help_text="None ticked: any level.",
    )

    def rules(self) -> dict[str, Any]:
        """The cleaned fields as policy rules (what ``reputation.policies.clean_rules`` checks)."""
        data = self.cleaned_data
        rules: dict[str, Any] = {
            "min_tier": data.get("min_tier") or None,
            "min_lower_bound": data.get("min_lower_bound"),
            "max_open_disputes": data.get("max_open_disputes"),
            "max_evidence_age_days": data.get("max_evidence_age_days"),
            "critical_grace_hours": data.get("critical_grace_hours") or None,
        }
        clauses = (data.get("required_clauses") or "").replace(",", " ").split()
        if clauses:
            rules["required_clauses"] = clauses
        if data.get("consequence_levels"):
            rules["consequence_levels"] = list(data["consequence_levels"])
        return {k: v for k, v in rules.items() if v is not None}

    @classmethod
    def initial_for(cls, name: str, rules: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": name,
            **{
                k: rules.get(k)
                for k in (
                    "min_tier",
                    "min_lower_bound",
                    "max_open_disputes",
                    "max_evidence_age_days",
                    "critical_grace_hours",
                )
            },
            "required_clauses": ", ".join(rules.get("required_clauses", [])),
            "consequence_levels": rules.get("consequence_levels", []),
        }
