"""The agent page's link to its diligence report (``pacts.hooks.agent_panels``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def report_panel(request: HttpRequest, agent: Any) -> dict[str, Any] | None:
    return {"template": "reputation/_report_panel.html", "context": {"agent": agent}}
