"""The log's page: its latest signed checkpoint, its key, and how an outsider verifies (read-only)."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from transparency import log as tlog
from transparency.models import LogCheckpoint
from transparency.verifier import verifier_sha256


@require_safe
def log_page(request: HttpRequest) -> HttpResponse:
    key = tlog.signing_key()
    checkpoints = list(LogCheckpoint.objects.select_related("key").order_by("-size")[:10])
    context = {
        "key": key,
        "fingerprint": hashlib.sha256(key.public_pem.encode()).hexdigest(),
        "size": tlog.log_size(),
        "latest": checkpoints[0] if checkpoints else None,
        "checkpoints": checkpoints,
        "verifier_sha256": verifier_sha256(),
    }
    return render(request, "transparency/log.html", context)
