"""Forms of the dispute pages: they shape the input (and turn uploads into the service's attachment dicts); the
services in ``disputes.filing``, ``disputes.workflow`` and ``disputes.rulings`` validate again and decide."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator

from disputes.models import ClaimType, Outcome, Party, Status
from disputes.rulings import DEFAULT_EFFECT_DAYS, RATIONALE_MIN
from disputes.submissions import MAX_ATTACHMENTS
from disputes.workflow import APPEAL_MIN_CHARS
from evidence.attachments import ALLOWED_TYPES, sniff

STATUS_CHOICES = [("", "any state"), *Status.choices]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; each becomes ``{"filename", "content_type", "data_base64"}``."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            f"Up to {MAX_ATTACHMENTS} files (PDF, PNG, JPEG, JSON, CSV, text or ZIP), each typed from its bytes.",
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ",".join(ALLOWED_TYPES))

    def clean(self, data: Any, initial: Any = None) -> list[dict[str, str]]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [super(AttachmentsField, self).clean(f, initial) for f in files if f]
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(f"At most {MAX_ATTACHMENTS} attachments.", code="too_many")
        return [as_attachment(f) for f in files]


def as_attachment(upload: UploadedFile) -> dict[str, str]:
    """An upload in the wire form the services take; the declared type is the browser's when we accept it,
    else what the bytes look like (the service checks the two agree)."""
    data = upload.read()
    declared = (upload.content_type or "").split(";")[0].strip()
    if declared not in ALLOWED_TYPES:
        declared = sniff(data) or declared or "application/octet-stream"
    return {
        "filename": (upload.name or "")[:200],
        "content_type": declared,
        "data_base64": base64.b64encode(data).decode(),
    }


def _statement(label: str = "Statement", minimum: int = 1, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        min_length=minimum,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=help_text,
    )


# --- lists -----------------------------------------------------------------------------------------------------


class DisputeFilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    agent = forms.SlugField(max_length=80, required=False)
    role = forms.ChoiceField(
        label="Your side",
        choices=[("", "either side"), (Party.CLAIMANT, "we filed it"), (Party.RESPONDENT, "we answer it")],
        required=False,
    )


class QueueFilterForm(forms.Form):
    view = forms.ChoiceField(
        label="Show",
        choices=[("", "unassigned, waiting for an arbiter"), ("mine", "assigned to me")],
        required=False,
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    agent = forms.SlugField(max_length=80, required=False)
    overdue = forms.BooleanField(label="Overdue only", required=False)


class PrecedentForm(forms.Form):
    q = forms.CharField(label="Words in the rationale", max_length=200, required=False)
    clause_id = forms.CharField(label="Clause id", max_length=63, required=False)
    metric = forms.CharField(max_length=63, required=False)
    outcome = forms.ChoiceField(choices=[("", "any outcome"), *Outcome.choices], required=False)


# --- filing ----------------------------------------------------------------------------------------------------


class FileForm(forms.Form):
    agent = forms.SlugField(max_length=80, widget=forms.HiddenInput)
    subject_type = forms.CharField(max_length=20, widget=forms.HiddenInput)
    subject_id = forms.CharField(max_length=63, widget=forms.HiddenInput)
    pact = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    claim_type = forms.ChoiceField(label="What you claim", choices=ClaimType.choices)
    respondent = forms.ChoiceField(
        label="Respondent (the buyer who answers)", required=False, help_text="A buyer that engages the agent."
    )
    requested_remedy = forms.CharField(
        label="Requested remedy",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What you ask the arbiter to order (e.g. record the breach, credit 10 %).",
    )
    statement = _statement(help_text="What happened, and what shows it. Logged; never edited.")
    confidential = forms.BooleanField(
        label="Confidential (never shown in the public form of the ruling)", required=False
    )
    attachments = AttachmentsField()

    def __init__(
        self, *args: Any, claims: tuple[str, ...] = (), respondents: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if claims:
            self.fields["claim_type"].choices = [(c, ClaimType(c).label) for c in claims]  # type: ignore[attr-defined]
        if respondents is None:
            del self.fields["respondent"]
        else:
            self.fields["respondent"].choices = [("", "choose the buyer"), *respondents]  # type: ignore[attr-defined]

    def subject(self) -> dict[str, Any]:
        data = self.cleaned_data
        raw: dict[str, Any] = {"type": data["subject_type"], "id": data["subject_id"]}
        if data["subject_type"] == "clause" and data.get("pact"):
            raw["pact"] = data["pact"]
        return raw


# --- actions on a dispute ----------------------------------------------------------------------------------------


class RespondForm(forms.Form):
    statement = _statement("Your response", help_text="The respondent's one statement; the review starts with it.")
    confidential = forms.BooleanField(label="Confidential", required=False)
    attachments = AttachmentsField()


class SubmitInfoForm(forms.Form):
    statement = _statement("Your answer")
    confidential = forms.BooleanField(label="Confidential", required=False)
    attachments = AttachmentsField()


class AppealForm(forms.Form):
    statement = _statement(
        "Grounds of appeal",
        minimum=APPEAL_MIN_CHARS,
        help_text=f"What is new or wrong in the ruling (at least {APPEAL_MIN_CHARS} characters). Another arbiter rules.",
    )
    confidential = forms.BooleanField(label="Confidential", required=False)
    attachments = AttachmentsField()


class AssignForm(forms.Form):
    arbiter = forms.ChoiceField(label="Arbiter", required=False)

    def __init__(self, *args: Any, arbiters: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if arbiters is None:
            del self.fields["arbiter"]
        else:
            self.fields["arbiter"].choices = [("", "myself"), *((a, a) for a in arbiters)]  # type: ignore[attr-defined]


class RequestInfoForm(forms.Form):
    party = forms.ChoiceField(label="Ask", choices=Party.choices)
    question = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(forms.Form):
    note = forms.CharField(label="Why (optional)", max_length=1000, required=False)


class SettleForm(forms.Form):
    terms = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Propose terms, or leave empty to accept the other side's proposal as it stands.",
    )


class CloseForm(forms.Form):
    pass


class RulingForm(forms.Form):
    """The ruling: offers only what ``disputes.rulings.allowed(dispute)`` says the pact lets this ruling apply."""

    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        min_length=RATIONALE_MIN,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "data-counter": "rationale-count", "minlength": RATIONALE_MIN}),
        help_text=f"Why, citing the submissions (at least {RATIONALE_MIN} characters). Rulings are immutable.",
    )
    override_status = forms.ChoiceField(
        label="Override the clause's verdict",
        choices=[("", "no override"), ("breached", "breached"), ("met", "met")],
        required=False,
    )
    override_days = forms.IntegerField(
        label="Override for (days)", min_value=1, max_value=90, initial=DEFAULT_EFFECT_DAYS, required=False
    )
    credit_percent = forms.DecimalField(
        label="Service credit (% of the monthly fee)", min_value=Decimal("0.001"), decimal_places=3, required=False
    )
    cancel_entries = forms.MultipleChoiceField(
        label="Cancel these credits", widget=forms.CheckboxSelectMultiple, required=False
    )
    tier = forms.ChoiceField(label="Cap the tier at", required=False)
    tier_days = forms.IntegerField(
        label="Tier cap for (days)", min_value=1, max_value=90, initial=DEFAULT_EFFECT_DAYS, required=False
    )
    cites = forms.MultipleChoiceField(
        label="Cite these earlier rulings", widget=forms.CheckboxSelectMultiple, required=False
    )
    cite_ids = forms.CharField(
        label="Cite other rulings by id",
        max_length=200,
        required=False,
        help_text="Comma-separated ruling ids (from the precedent search).",
    )

    def __init__(self, *args: Any, allowed: dict[str, Any], suggestions: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed = allowed
        self.suggestions = suggestions
        if not allowed["verdict_override"]:
            del self.fields["override_status"], self.fields["override_days"]
        limit = allowed["credit_percent"]
        if limit is None or limit <= 0:
            del self.fields["credit_percent"]
        else:
            field = self.fields["credit_percent"]
            field.max_value = limit  # type: ignore[attr-defined]
            field.validators.append(MaxValueValidator(limit))
            field.widget.attrs.update(max=f"{limit:g}", step="0.001")
            field.help_text = f"At most the pact's {limit:g} % for this clause."
        if allowed["entries"]:
            self.fields["cancel_entries"].choices = [  # type: ignore[attr-defined]
                (str(e.pk), f"#{e.pk}: {e.amount} {e.currency} ({e.get_status_display().lower()}, {e.clause_id})")
                for e in allowed["entries"]
            ]
        else:
            del self.fields["cancel_entries"]
        if allowed["tiers"]:
            self.fields["tier"].choices = [("", "no tier cap"), *((t, t) for t in allowed["tiers"])]  # type: ignore[attr-defined]
        else:
            del self.fields["tier"], self.fields["tier_days"]
        if suggestions:
            self.fields["cites"].choices = [  # type: ignore[attr-defined]
                (str(r["id"]), f"#{r['id']} {r['outcome']}") for r in suggestions
            ]
        else:
            del self.fields["cites"]

    def consequence_fields(self) -> list[Any]:
        names = ("override_status", "override_days", "credit_percent", "cancel_entries", "tier", "tier_days")
        return [self[name] for name in names if name in self.fields]

    def clean_cite_ids(self) -> list[int]:
        raw = self.cleaned_data.get("cite_ids", "")
        ids = []
        for part in raw.replace(" ", ",").split(","):
            part = part.strip().lstrip("#")
            if not part:
                continue
            if not part.isdigit() or len(part) > 18:
                raise forms.ValidationError(f"{part!r} is not a ruling id.", code="invalid")
            ids.append(int(part))
        return ids

    def consequences(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        out: list[dict[str, Any]] = []
        if data.get("override_status"):
            out.append(
                {
                    "action": "verdict_override",
                    "status": data["override_status"],
                    "days": data.get("override_days") or DEFAULT_EFFECT_DAYS,
                }
            )
        if data.get("credit_percent") is not None:
            out.append({"action": "service_credit", "percent": float(data["credit_percent"])})
        for entry in data.get("cancel_entries") or []:
            out.append({"action": "cancel_credit", "entry": int(entry)})
        if data.get("tier"):
            out.append({"action": "tier", "tier": data["tier"], "days": data.get("tier_days") or DEFAULT_EFFECT_DAYS})
        return out

    def cites_list(self) -> list[int]:
        chosen = [int(c) for c in self.cleaned_data.get("cites") or []]
        return list(dict.fromkeys([*chosen, *self.cleaned_data.get("cite_ids", [])]))


class ConflictForm(forms.Form):
    organization = forms.ChoiceField(label="Organization")
    note = forms.CharField(max_length=300, required=False, help_text="Why (e.g. a former employer); only staff see it.")

    def __init__(self, *args: Any, organizations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", "choose"), *organizations]  # type: ignore[attr-defined]
