"""Forms for agents and pacts: they parse text; the services validate and decide."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from pacts.models import ConsequenceLevel
from trust_portal.sanitise import InputRefused, loads_json
from trust_portal.web import StrictDateTimeField

MAX_VERSION = 2**31 - 1  # a version number is a PositiveIntegerField
DOCUMENT_WIDGET = forms.Textarea(
    attrs={"rows": 24, "spellcheck": "false", "autocomplete": "off", "class": "code-editor"}
)


class AgentForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, help_text="Leave empty to take it from the Agent Card.")
    slug = forms.SlugField(
        max_length=80,
        required=False,
        help_text="The agent's address: /agents/<slug>/. Derived from the name when empty.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)
    consequence_level = forms.ChoiceField(
        choices=ConsequenceLevel.choices,
        initial=ConsequenceLevel.MEDIUM,
        help_text="How much harm a failure of this agent can do.",
    )
    capabilities = forms.CharField(required=False, help_text="Comma-separated, e.g. “refunds, order lookup”.")
    agent_card = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "code-editor"}),
        required=False,
        label="A2A Agent Card (optional)",
        help_text="Paste the agent's Agent Card JSON to fill the fields above.",
    )
    agent_card_file = forms.FileField(required=False, label="…or upload the Agent Card file")

    def clean_capabilities(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["capabilities"].split(",") if c.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("agent_card_file")
        text = upload.read(64 * 1024 + 1).decode("utf-8", "replace") if upload else data.get("agent_card", "")
        card = None
        if text and text.strip():
            try:
                card = loads_json(text)
            except InputRefused as refused:
                self.add_error(
                    "agent_card", f"{refused.field}: {refused.message}" if refused.field else refused.message
                )
            except json.JSONDecodeError as error:
                self.add_error("agent_card", f"Invalid JSON: {error.msg} at line {error.lineno}, column {error.colno}.")
            except ValueError as error:
                self.add_error("agent_card", f"Invalid JSON: {error}.")
        data["agent_card"] = card
        if not data.get("name") and card is None and not self.errors:
            self.add_error("name", "Give a name, or an Agent Card to take it from.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = {k: data[k] for k in ("name", "slug", "description", "consequence_level", "capabilities")}
        if data.get("agent_card") is not None:
            kwargs["agent_card"] = data["agent_card"]
        return kwargs


class PactForm(forms.Form):
    title = forms.CharField(max_length=200, required=False, help_text="Defaults to the document's title.")
    document = forms.CharField(widget=DOCUMENT_WIDGET, label="Pact document (JSON or YAML)", strip=False)
    changelog = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000, label="Changelog note"
    )


class DraftForm(forms.Form):
    document = forms.CharField(widget=DOCUMENT_WIDGET, label="Pact document (JSON or YAML)", strip=False)
    changelog = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000, label="Changelog note"
    )


class PublishForm(forms.Form):
    effective_from = StrictDateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="When the new version takes over (UTC). Empty: now.",
    )
    confirm = forms.BooleanField(label="I understand a published version can never be changed.")


class DiffForm(forms.Form):
    from_version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, label="From version")
    to_version = forms.IntegerField(min_value=1, max_value=MAX_VERSION, label="To version")
