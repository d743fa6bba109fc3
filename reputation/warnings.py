"""Early warnings announced: ``clause.warning`` to the agent's vendor and its buyers (in-app and webhooks)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.urls import reverse

from reputation import events


def warning_announce(warning: Any) -> None:
    """``verdicts.hooks.warned``: a rate clause's error budget burns fast enough that a breach is coming."""
    agent = warning.agent
    data: dict[str, Any] = {
        "agent": agent.slug,
        "pact": warning.pact_id,
        "clause_id": warning.clause_id,
        "rule": warning.rule,
        "threshold": round(warning.threshold, 4),
        "opened_at": warning.opened_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    if not warning.rests_on_restricted:  # derived from restricted values: the rate stays with who may see them
        data["burn_rate"] = round(warning.burn_long, 4)
    events.publish(
        "clause.warning",
        agent=agent,
        title=f"{agent.name}: {warning.clause_id} is burning its error budget ({warning.get_rule_display().lower()})",
        url=reverse("verdicts:clause", args=[agent.slug, warning.pact_id, warning.clause_id]),
        data=data,
        organizations=[*events.audience(agent), agent.organization_id],
    )
