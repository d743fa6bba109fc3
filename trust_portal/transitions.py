"""One guarded transition for every workflow with a status and a revision (disputes, incidents): the plumbing of
a state machine, nothing of any domain.

``guarded_move`` runs ``UPDATE … SET status = to, revision = revision + 1 WHERE id = … AND status IN (sources) AND
revision = <the one the caller read>``: of two concurrent actions exactly one matches; the other is refused with
a 409 naming the current state (or saying the object changed under it), and nothing is written. The caller's
object is refreshed and one event row is written for the action (who, when, from, to, note).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.db import models
from django.db.models import F

from trust_portal.errors import Conflict

M = TypeVar("M", bound=models.Model)


def guarded_move(
    obj: M,
    *,
    event_model: type[models.Model],
    event_field: str,
    refused: type[Conflict],
    label: Callable[[str], str],
    actor: Any,
    action: str,
    sources: Iterable[str],
    to: str | None,
    note: str,
    now: datetime,
    **changes: Any,
) -> M:
    model = type(obj)
    noun = str(model._meta.verbose_name)
    sources = tuple(sources)
    previous: str = obj.status  # type: ignore[attr-defined]
    read_revision: int = obj.revision  # type: ignore[attr-defined]
    target = to or previous
    updated = model._default_manager.filter(pk=obj.pk, status__in=sources, revision=read_revision).update(
        status=target, revision=F("revision") + 1, updated_at=now, **changes
    )
    if updated != 1:
        current = model._default_manager.filter(pk=obj.pk).values_list("status", "revision").first()
        status, revision = current if current else ("", -1)
        if status in sources and revision != read_revision:
            detail = f"This {noun} changed while you were acting (now {label(status)}); reload it and try again."
        else:
            allowed = " or ".join(label(s) for s in sources)
            now_is = label(status) if status else "gone"
            article = "an" if noun[:1] in "aeiou" else "a"
            detail = f"This {noun} is {now_is}; only {article} {noun} {allowed} can be {action.replace('_', ' ')}."
        raise refused(
            detail, errors=[{"field": "status", "message": f"current state: {status}", "code": "invalid_transition"}]
        )
    obj.refresh_from_db()
    event_model._default_manager.create(
        **{event_field: obj},
        at=now,
        actor=actor,
        action=action,
        from_status=previous,
        to_status=target,
        note=note[:1000],
    )
    return obj
