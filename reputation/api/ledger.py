"""Engagements and the consequence ledger over the API (wire formats in DESIGN.md: keep those field names)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import require
from accounts.roles import signed_in_user
from pacts.models import Agent, Pact
from reputation.engagements import EngagementInvalid, engagement_end, engagement_get, engagement_list, engagement_start
from reputation.ledger import (
    Total,
    ledger_entry_get,
    ledger_entry_pay,
    ledger_entry_waive,
    ledger_list,
    ledger_totals,
    totals_of,
)
from reputation.models import Engagement, LedgerEntry
from trust_portal.api.pagination import CursorPagination, serialize_within_budget
from trust_portal.api.params import query_filters
from trust_portal.api.schema import PROBLEM

# --- engagements ------------------------------------------------------------------------------------------------


class EngagementInput(serializers.Serializer):
    agent = serializers.SlugField(max_length=80, help_text="The agent's slug.")
    monthly_fee = serializers.CharField(max_length=20, help_text='A decimal string, e.g. "1200.00" (never a float).')
    currency = serializers.CharField(max_length=3, help_text="ISO 4217, e.g. EUR.")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    pact = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, help_text="Needed when several pacts are in force."
    )


class EngagementOutput(serializers.ModelSerializer):
    agent = serializers.SlugRelatedField(slug_field="slug", read_only=True)  # type: ignore[var-annotated]
    buyer = serializers.SlugRelatedField(slug_field="slug", read_only=True)  # type: ignore[var-annotated]
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)
    pact_version = serializers.IntegerField(source="pact_version.number", read_only=True, help_text="Its number.")
    status = serializers.ChoiceField(choices=["active", "scheduled", "ended"], read_only=True)
    monthly_fee = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True)

    class Meta:
        model = Engagement
        fields = [
            "id",
            "agent",
            "buyer",
            "buyer_name",
            "pact",
            "pact_version",
            "status",
            "monthly_fee",
            "currency",
            "starts_on",
            "ends_on",
            "ended_at",
            "created_at",
        ]


class EngagementListQuery(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["active", "scheduled", "ended"], required=False, default="", allow_blank=True
    )
    agent = serializers.SlugField(required=False, default="", allow_blank=True, max_length=80)


ENGAGEMENT_EXAMPLE = {"agent": "refund-bot", "monthly_fee": "1200.00", "currency": "EUR", "starts_on": "2026-11-01"}


class EngagementListView(APIView):
    pagination_class = CursorPagination  # for the schema

    @extend_schema(
        parameters=[EngagementListQuery],
        responses={200: EngagementOutput(many=True), 400: PROBLEM, 401: PROBLEM},
        tags=["engagements"],
    )
    def get(self, request: Request) -> Response:
        filters = query_filters(request, EngagementListQuery)
        engagements = engagement_list(user=request.user, status=filters["status"])
        if filters["agent"]:
            engagements = engagements.filter(agent__slug=filters["agent"])
        paginator = CursorPagination()
        paginator.ordering = ("-created_at", "-id")  # type: ignore[assignment]
        paginator.paginate_queryset(engagements, request, view=self)
        return paginator.get_paginated_response(serialize_within_budget(paginator, EngagementOutput))

    @extend_schema(
        request=EngagementInput,
        responses={201: EngagementOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 409: PROBLEM},
        examples=[OpenApiExample("engage Refund Bot", value=ENGAGEMENT_EXAMPLE, request_only=True)],
        tags=["engagements"],
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        require(user, "reputation.start_engagement")  # before the body is read
        data = EngagementInput(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        agent = Agent.objects.filter(slug=body["agent"]).first()
        if agent is None:
            raise EngagementInvalid(f"No agent {body['agent']!r}.", field="agent")
        pact = None
        if body["pact"] is not None:
            pact = Pact.objects.filter(pk=body["pact"], agent=agent).first()
            if pact is None:
                raise EngagementInvalid(f"{agent.name} has no pact {body['pact']}.", field="pact")
        engagement = engagement_start(
            user=user,
            agent=agent,
            monthly_fee=body["monthly_fee"],
            currency=body["currency"],
            starts_on=body["starts_on"],
            ends_on=body["ends_on"],
            pact=pact,
        )
        return Response(EngagementOutput(engagement).data, status=status.HTTP_201_CREATED)


class EngagementDetailView(APIView):
    @extend_schema(responses={200: EngagementOutput, 401: PROBLEM, 404: PROBLEM}, tags=["engagements"])
    def get(self, request: Request, engagement_id: int) -> Response:
        return Response(EngagementOutput(engagement_get(user=request.user, engagement_id=engagement_id)).data)


class EngagementEndView(APIView):
    @extend_schema(
        request=None,
        responses={200: EngagementOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        tags=["engagements"],
    )
    def post(self, request: Request, engagement_id: int) -> Response:
        user = signed_in_user(request)
        engagement = engagement_get(user=user, engagement_id=engagement_id)
        return Response(EngagementOutput(engagement_end(user=user, engagement=engagement)).data)


# --- the ledger ---------------------------------------------------------------------------------------------------


class LedgerEntryOutput(serializers.ModelSerializer):
    agent = serializers.SlugRelatedField(slug_field="slug", read_only=True)  # type: ignore[var-annotated]
    buyer = serializers.SlugRelatedField(slug_field="slug", read_only=True)  # type: ignore[var-annotated]
    clause = serializers.CharField(source="clause_id", read_only=True)
    verdict = serializers.IntegerField(source="verdict_id", read_only=True, allow_null=True)
    percent = serializers.DecimalField(max_digits=6, decimal_places=3, coerce_to_string=True, read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "agent",
            "buyer",
            "engagement",
            "clause",
            "verdict",
            "kind",
            "percent",
            "amount",
            "currency",
            "status",
            "cure_ends_at",
            "note",
            "created_at",
            "updated_at",
        ]


class LedgerListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=LedgerEntry.Status.values, required=False, default="", allow_blank=True)
    agent = serializers.SlugField(required=False, default="", allow_blank=True, max_length=80)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="", allow_blank=True)


class TotalOutput(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Credits earned: every entry but waived and cancelled ones."
    )
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="pending_cure + owed.")
    paid = serializers.DecimalField(max_digits=16, decimal_places=2)
    count = serializers.IntegerField()


def totals_data(totals: list[Total]) -> list[dict[str, Any]]:
    return TotalOutput(totals, many=True).data  # type: ignore[return-value]


class LedgerListView(APIView):
    pagination_class = CursorPagination  # for the schema

    @extend_schema(
        parameters=[LedgerListQuery],
        responses={200: LedgerEntryOutput(many=True), 400: PROBLEM, 401: PROBLEM},
        description=(
            "The caller's own entries: a buyer organization's, a vendor's agents', everything for staff. Besides "
            "`results`, `totals` sums this page per currency and `totals_overall` every entry the filters match "
            "(amounts are never summed across currencies)."
        ),
        tags=["ledger"],
    )
    def get(self, request: Request) -> Response:
        filters = query_filters(request, LedgerListQuery)
        entries = ledger_list(user=request.user, **filters)
        paginator = CursorPagination()
        paginator.ordering = ("-created_at", "-id")  # type: ignore[assignment]
        paginator.paginate_queryset(entries, request, view=self)
        items = serialize_within_budget(paginator, LedgerEntryOutput)
        response = paginator.get_paginated_response(items)
        response.data["totals"] = totals_data(totals_of(paginator.page or []))
        response.data["totals_overall"] = totals_data(ledger_totals(entries))
        return response


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)


class RequiredNoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=1000, help_text="Why the credit is waived (recorded on the entry).")


SETTLE_RESPONSES = {200: LedgerEntryOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM}


def _settle(request: Request, entry_id: int, note_input: type[serializers.Serializer], settle: Any) -> Response:
    """Pay or waive: the permission before the body is read, then the transition (a 409 names the state)."""
    user = signed_in_user(request)
    entry = ledger_entry_get(user=user, entry_id=entry_id)
    require(user, "reputation.settle_ledger_entry", entry)
    data = note_input(data=request.data)
    data.is_valid(raise_exception=True)
    return Response(LedgerEntryOutput(settle(user=user, entry=entry, note=data.validated_data["note"])).data)


class LedgerPayView(APIView):
    @extend_schema(
        request=NoteInput,
        responses=SETTLE_RESPONSES,
        description="owed → paid (an owner of the agent's vendor). A 409 names the entry's current state.",
        tags=["ledger"],
    )
    def post(self, request: Request, entry_id: int) -> Response:
        return _settle(request, entry_id, NoteInput, ledger_entry_pay)


class LedgerWaiveView(APIView):
    @extend_schema(
        request=RequiredNoteInput,
        responses=SETTLE_RESPONSES,
        description="pending_cure or owed → waived, with a note (an owner of the agent's vendor).",
        tags=["ledger"],
    )
    def post(self, request: Request, entry_id: int) -> Response:
        return _settle(request, entry_id, RequiredNoteInput, ledger_entry_waive)
