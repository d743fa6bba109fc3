"""``GET /api/v1/agents/{agent}/decision/?policy=ID``: an access decision, logged (DESIGN.md's wire format).

It is the one GET that writes: every decision is logged (the decision log an auditor reads), as an access log
would record the request; it changes nothing else. It is also the trust loop's hot path (bench/decision.py), so
``agent_decision`` answers the common request itself — a GET with a bearer token, asking for JSON, that passes
every check — without DRF's dispatch, and leaves every other request to ``AgentDecisionView``, the documented
DRF view, which answers as it always has: no or a bad token, a session, ``?format=``, another ``Accept``, HEAD,
OPTIONS, other methods, and any refusal but the throttle's (400, 401, 403, 404, 409). Both run the same steps:
the token lookup of the view's authentication class (``accounts.services``, which the direct answer reads in the
same statement as the decision's rows: ``policies.decision_prepare_for_token``), the view's permission and
throttle classes, ``reputation.policies`` and ``decision_answer``, so their answers are the same bytes and
headers (tests/reputation/test_decision_fast_path.py).
The fast path checks the throttle after the reads rather than before them, so that any other refusal can still be
left to the DRF view without the request being counted twice; a throttled request it answers itself, through the
view's own exception handling.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.api.authentication import BearerTokenAuthentication
from accounts.api.permissions import TokenScopeAllows
from accounts.services import token_caller
from reputation import policies
from reputation.api.caching import cache_headers, etag_of, json_ready, matches, not_modified
from reputation.receipts import receipt_sign
from trust_portal.api.params import bool_parameter, int_parameter, query_bool, query_int
from trust_portal.api.renderers import FastJSONRenderer
from trust_portal.api.schema import PROBLEM
from trust_portal.errors import DomainError, InvalidQuery
from trustcore.canonical import iso

RECEIPT = bool_parameter("receipt", description="1: add a signed receipt (DSSE by the log key, 15 min)")


PARAMETERS = ("format", "policy", "receipt")


def _parameters(request: Request) -> tuple[int, bool]:
    """``policy`` and ``receipt``, each at most once (a gateway may have checked another policy than the one the
    last value names); anything else is a 400 naming it (``recipt=1`` must not answer unsigned)."""
    for name in sorted(request.query_params):
        if name not in PARAMETERS:
            raise InvalidQuery(
                f"Unknown query parameter {name!r} (this operation takes: {', '.join(PARAMETERS)}).", field=name
            )
        if len(request.query_params.getlist(name)) > 1:
            raise InvalidQuery(f"Give {name} once.", field=name)
    return query_int(request, "policy"), query_bool(request, "receipt")


def decision_answer(
    request: Request,
    decided: policies.Decided,
    *,
    with_receipt: bool,
    now: datetime,
    respond: Callable[[dict[str, Any]], HttpResponse],
) -> HttpResponse:
    """The logged decision as the wire format says (``respond`` renders the body): a 304 when ``If-None-Match``
    names its ETag, signed with ``?receipt=1``."""
    decision, evaluated = decided.decision, decided.evaluated
    body: dict[str, Any] = {
        "decision": evaluated.result,
        "decision_id": decision.decision_id,
        "policy": decision.policy_id,
        "policy_revision": decision.revision.number,
        "agent": decision.agent.slug,
        "tier": evaluated.tier,
        "score": evaluated.score,
        "lower_bound": evaluated.lower_bound,
        "computed_at": iso(evaluated.computed_at),
        "log_size": evaluated.log_size,
        "decided_at": iso(now),
        "reasons": evaluated.reasons,
        "conditions": evaluated.conditions,
    }
    etag = etag_of(decision.policy_id, decision.revision.number, decision.input, evaluated.conditions)
    if not with_receipt and matches(request, etag):
        return cache_headers(not_modified(), etag=etag, expires=None, now=now)
    expires = None
    if with_receipt:
        body = json_ready(body)
        body["receipt"], expires = receipt_sign("decision", body, now=now, checkpoint=decided.checkpoint)
    return cache_headers(respond(body), etag=etag, expires=expires, now=now)


class AgentDecisionView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]
    # JSON first, by orjson (the same compact JSON); then whatever else the API offers (the browsable API in DEBUG).
    renderer_classes = [
        FastJSONRenderer,
        *(r for r in api_settings.DEFAULT_RENDERER_CLASSES if r is not JSONRenderer),  # type: ignore[list-item]
    ]

    @extend_schema(
        parameters=[int_parameter("policy", required=True, description="The policy's id"), RECEIPT],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='{"decision": "allow" | "deny", "decision_id", "policy", "policy_revision", "agent", '
                '"tier", "score", "lower_bound", "computed_at", "log_size", "reasons": [...], "conditions": '
                '[{"condition", "required", "actual", "passed"}], "receipt"?}',
            ),
            304: OpenApiResponse(description="If-None-Match matched: the standing and rules are unchanged"),
            400: PROBLEM,
            401: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            406: PROBLEM,
            409: PROBLEM,
        },
        description="Allow or deny, with every condition's result, logged in the policy's decision log; 409 once the "
        "policy is archived (a HEAD "
        "answers the same headers and logs nothing).",
        tags=["reputation"],
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        try:
            policy_id, with_receipt = _parameters(request)
        except InvalidQuery:
            policies.decision_agent(user=request.user, slug=slug)  # an agent the caller may not see is a 404 first
            raise
        now = timezone.now()
        decided = policies.decision_prepare(
            user=request.user,  # type: ignore[arg-type]
            slug=slug,
            policy_id=policy_id,
            now=now,
            with_checkpoint=with_receipt,
        )
        if request.method != "HEAD":  # a monitor's probe is answered, not logged: nobody read the decision
            policies.decision_log(decided.decision)
        return decision_answer(request, decided, with_receipt=with_receipt, now=now, respond=Response)


_documented_view = AgentDecisionView.as_view()
_JSON = (None, "*/*", "application/json")  # what DRF's negotiation answers with the first renderer, JSON


_RENDERER = FastJSONRenderer()


def _json_response(body: dict[str, Any]) -> HttpResponse:
    """What DRF's ``Response(body)`` renders to, with JSON negotiated and no indent asked for."""
    return HttpResponse(_RENDERER.render(body), content_type=FastJSONRenderer.media_type)


def _answered_directly(request: HttpRequest, slug: str) -> HttpResponse | None:
    """The answer to a request that passes every check, as ``AgentDecisionView`` gives it; None for any other
    request, before anything is logged or counted (the token's last use may be noted, as the authentication class
    notes it anyway)."""
    meta = request.META
    if (
        request.method != "GET"
        or "format" in request.GET
        or meta.get("HTTP_ACCEPT") not in _JSON
        or not meta.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")
        or getattr(request, "_force_auth_user", None) is not None  # DRF's test client forcing a user
        or getattr(request, "_force_auth_token", None) is not None
    ):
        return None
    view = AgentDecisionView()
    view.setup(request, slug=slug)
    if view.renderer_classes[0] is not FastJSONRenderer or len(view.throttle_classes) > 1:
        return None  # configured otherwise than this path assumes: DRF decides
    authenticators = view.get_authenticators()
    if not authenticators or type(authenticators[0]) is not BearerTokenAuthentication:
        return None
    parts = meta["HTTP_AUTHORIZATION"].split()
    if len(parts) != 2 or not parts[1].isascii():
        return None  # the authentication class answers (401), as it decodes it
    api_request = view.request = Request(request)
    try:
        policy_id, with_receipt = _parameters(api_request)
        now = timezone.now()
        found = policies.decision_prepare_for_token(
            plaintext=parts[1], slug=slug, policy_id=policy_id, now=now, with_checkpoint=with_receipt
        )
        if found is None:
            return None
        token, decided = found
        api_request.user, api_request.auth = token_caller(token), token  # on the HttpRequest too, as DRF sets them
        if not all(permission.has_permission(api_request, view) for permission in view.get_permissions()):
            return None
    except (DomainError, APIException):
        return None
    for throttle in view.get_throttles():
        if not throttle.allow_request(api_request, view):  # counted: answered here, as DRF's dispatch would
            view.headers = view.default_response_headers
            refusal = view.handle_exception(exceptions.Throttled(throttle.wait()))
            return view.finalize_response(api_request, refusal)
    policies.decision_log(decided.decision)
    response = decision_answer(api_request, decided, with_receipt=with_receipt, now=now, respond=_json_response)
    headers = view.default_response_headers  # what DRF's finalize_response adds: Allow, and Vary with renderers
    vary = headers.pop("Vary", None)
    if vary is not None:
        patch_vary_headers(response, [vary])
    for name, value in headers.items():
        response[name] = value
    return response


@functools.wraps(_documented_view)  # its cls, initkwargs and csrf_exempt: the schema documents AgentDecisionView
def agent_decision(request: HttpRequest, slug: str) -> HttpResponseBase:
    return _answered_directly(request, slug) or _documented_view(request, slug=slug)
