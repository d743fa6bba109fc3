"""Who sees a diligence report's render job: its requester, and nobody else (404), staff included.

A job holds a report as its requester was allowed to see it (restricted values included for those with a grant),
so it is theirs alone; an agent-scoped token renders none and sees none (it reads the JSON report, as anyone).
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

from accounts.permissions import NOTHING, view_permission
from accounts.rules import token_scope_of
from reputation.models import ReportJob


def _person(user: Any) -> int | None:
    """The signed-in person acting for themselves (not through an agent-scoped token)."""
    if user is None or not getattr(user, "is_authenticated", False) or token_scope_of(user) is not None:
        return None
    return int(user.pk)


@rules.predicate
def is_requester(user: Any, job: Any) -> bool:
    person = _person(user)
    return job is not None and person is not None and job.requester_id == person


def _own_jobs(user: Any) -> Q:
    person = _person(user)
    return Q(requester_id=person) if person is not None else NOTHING


view_permission(ReportJob, "reputation.view_report_job", is_requester, _own_jobs)
