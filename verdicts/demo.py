"""Demo compliance history: every demo agent evaluated once a day over the evidence's 90 days, as the sweep would have."""

from __future__ import annotations

from datetime import timedelta
from typing import TextIO

from django.utils import timezone

from evidence.demo import DAYS
from pacts.models import Agent
from verdicts.evaluation import agent_evaluate
from verdicts.models import Verdict

DEMO_AGENTS = ("refund-bot", "code-reviewer", "helix-scheduler")


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    if Verdict.objects.filter(computed_at__lt=timezone.now() - timedelta(days=1)).exists():
        out.write("verdicts: demo compliance history already present\n")
        return []
    now = timezone.now()
    agents = list(Agent.objects.filter(slug__in=DEMO_AGENTS).values_list("pk", flat=True))
    written = 0
    for days_ago in range(DAYS - 1, -1, -1):
        moment = now - timedelta(days=days_ago)
        for agent_id in agents:
            written += len(agent_evaluate(agent_id=agent_id, now=moment))
    out.write(f"verdicts: {written} verdicts in the compliance history of {len(agents)} agents\n")
    return []
