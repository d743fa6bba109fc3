"""Liveness: ``GET /healthz`` answers ``{"status": "ok"}`` from the web process alone (no database, no cache),
for load balancers and orchestrators; it is also the bare Django JSON view bench/decision.py compares with."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
