"""The trust loop's demo data (``seed_demo`` calls ``seed``): each part in its own module, run in order."""

from __future__ import annotations

from typing import TextIO

from reputation import demo_ledger, demo_trust, demo_webhooks


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    logins: list[tuple[str, str, str]] = []
    logins.extend(demo_trust.seed(out))  # agents that show the tier rules: one suspended, one held at probation
    logins.extend(demo_ledger.seed(out))
    logins.extend(demo_webhooks.seed(out))  # after the ledger: Northwind Bank's endpoint and its deliveries
    return logins
