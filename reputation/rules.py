"""Who may see and do what in the trust loop.

Scores, tiers and their histories are public, like the verdicts they are built from: an agent's standing is
what a buyer inspects before trusting it, and its inputs are verdict statuses, never restricted values.
"""

from __future__ import annotations

import rules

from accounts.permissions import EVERYTHING, view_permission
from reputation.models import Reputation, ScoreEvent, TierChange

view_permission(Reputation, "reputation.view_reputation", rules.always_allow, lambda user: EVERYTHING)
view_permission(ScoreEvent, "reputation.view_score_event", rules.always_allow, lambda user: EVERYTHING)
view_permission(TierChange, "reputation.view_tier_change", rules.always_allow, lambda user: EVERYTHING)


# --- webhooks (buyers), and engagements and the consequence ledger (buyers and vendors): each in its own module,
# registered on import
from reputation import rules_ledger, rules_webhooks  # noqa: E402, F401
