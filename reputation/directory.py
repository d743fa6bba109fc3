"""What reputation adds to the agent directory (``pacts.hooks.directory_columns``): tier, score and bound as
columns, and two filters — by tier, and "allowed by my policy" (a buyer's access policy, checked in bulk)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, F, FloatField, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html
from rest_framework import serializers

from accounts.rules import acts_as_staff, organization_id_of
from evidence.models import AccessGrant
from evidence.rules import active_grants
from pacts.hooks import DirectoryColumn, DirectoryFilter, DirectoryProvider
from pacts.models import Agent, PactVersion
from reputation.models import AccessPolicy, Reputation, Tier
from reputation.policies import decision_evaluate
from trust_portal.errors import InvalidQuery
from trustcore.score import ALGORITHM, TIERS
from verdicts.models import Verdict
from verdicts.selectors import shown

PUBLIC = AnonymousUser()
DEFAULT = Reputation(algorithm=ALGORITHM)  # an agent never scored: unverified, the default score and bound
TIER_RANK = Case(
    *(When(reputation__tier=tier, then=Value(rank)) for rank, tier in enumerate(TIERS)),
    default=Value(TIERS.index(DEFAULT.tier)),
    output_field=IntegerField(),
)


def annotate(agents: QuerySet[Any], now: datetime) -> QuerySet[Any]:
    return agents.annotate(
        tier=Coalesce(F("reputation__tier"), Value(DEFAULT.tier)),
        tier_rank=TIER_RANK,
        score=Coalesce(F("reputation__score"), Value(DEFAULT.score), output_field=FloatField()),
        lower_bound=Coalesce(F("reputation__lower_bound"), Value(DEFAULT.lower_bound), output_field=FloatField()),
    )


def _tier_cell(agent: Any) -> str:
    return format_html(
        '<span class="chip tier-{}" data-testid="dir-tier">{}</span>', agent.tier, Tier(agent.tier).label
    )


def _number(name: str) -> Any:
    return lambda agent: format_html(
        '<span class="num" data-testid="dir-{}">{}</span>', name, f"{getattr(agent, name):.1f}"
    )


def _visible_policies(user: Any) -> QuerySet[AccessPolicy]:
    if not getattr(user, "is_authenticated", False):
        return AccessPolicy.objects.none()
    return AccessPolicy.objects.restrict(user, "view").filter(archived_at__isnull=True)


def _policy_choices(user: Any) -> list[tuple[str, str]]:
    return [(str(p.pk), p.name) for p in _visible_policies(user).order_by("name", "pk")]


def _may_see_restricted(user: Any, agent_ids: list[int]) -> set[int]:
    """Of these agents, those whose restricted evidence ``user`` may see (``evidence.view_restricted``: staff,
    the vendor's members, grantees), in one query at most."""
    if acts_as_staff(user):
        return set(agent_ids)
    org_id = organization_id_of(user)
    if org_id is None:
        return set()
    own = set(Agent.objects.filter(pk__in=agent_ids, organization_id=org_id).values_list("pk", flat=True))
    granted = AccessGrant.objects.filter(active_grants(), organization_id=org_id, agent_id__in=agent_ids)
    return own | set(granted.values_list("agent_id", flat=True))


def allowed_by_policy(agents: QuerySet[Any], policy_id: int, user: Any) -> QuerySet[Any]:
    """The agents the user's policy allows today, as its decision would answer (``decision_evaluate`` on each
    agent's reputation and current verdicts as the user may see them), checked for every agent matching the other
    filters in six queries, whatever their number; nothing is logged (like the policy page's preview)."""
    policy = _visible_policies(user).filter(pk=policy_id).first()
    if policy is None:
        raise InvalidQuery(f"policy: no policy {policy_id} of yours in force.", field="policy")
    rules = dict(policy.revisions.get(number=policy.revision).rules)
    max_open = rules.pop("max_open_disputes", None)
    has_count = "open_disputes" in agents.query.annotations
    rows = list(agents.values_list("pk", "open_disputes") if has_count else agents.values_list("pk"))
    ids = [row[0] for row in rows]
    open_counts = {row[0]: (row[1] if has_count else 0) for row in rows}
    reputations = {r.agent_id: r for r in Reputation.objects.filter(agent_id__in=ids)}
    current: dict[int, list[Verdict]] = {}
    for verdict in Verdict.objects.filter(agent_id__in=ids, is_current=True).exclude(
        pact_version__status=PactVersion.Status.RETIRED
    ):
        current.setdefault(verdict.agent_id, []).append(verdict)
    sees = _may_see_restricted(user, [i for i in ids if any(v.rests_on_restricted for v in current.get(i, []))])
    agents_by_id = {a.pk: a for a in Agent.objects.filter(pk__in=ids).only("pk", "consequence_level")}
    now = timezone.now()
    allowed = []
    for agent_id in ids:
        agent = agents_by_id[agent_id]
        verdicts = current.get(agent_id, [])
        if agent_id not in sees:
            verdicts = shown(verdicts, user=PUBLIC, agent=agent)  # withheld as from the public: no query
        reputation = reputations.get(agent_id) or Reputation(agent_id=agent_id, algorithm=ALGORITHM, computed_at=now)
        evaluated = decision_evaluate(rules=rules, agent=agent, reputation=reputation, verdicts=verdicts, now=now)
        if evaluated.result == "allow" and (max_open is None or open_counts[agent_id] <= max_open):
            allowed.append(agent_id)
    return agents.filter(pk__in=allowed)


PROVIDER = DirectoryProvider(
    name="reputation",
    annotate=annotate,
    columns=(
        DirectoryColumn(
            name="tier",
            label="Tier",
            sort=("tier_rank", "lower_bound"),
            cell=_tier_cell,
            api=lambda: {"tier": serializers.ChoiceField(choices=Tier.choices, read_only=True)},
            position=20,
            title="Tiers follow the conservative bound",
        ),
        DirectoryColumn(
            name="score",
            label="Score",
            sort=("score",),
            cell=_number("score"),
            api=lambda: {"score": serializers.FloatField(read_only=True)},
            position=21,
        ),
        DirectoryColumn(
            name="bound",
            label="Bound",
            sort=("lower_bound",),
            cell=_number("lower_bound"),
            api=lambda: {"lower_bound": serializers.FloatField(read_only=True)},
            position=22,
            title="The score's conservative lower bound",
        ),
    ),
    filters=(
        DirectoryFilter(
            name="tier",
            label="Tier",
            field=lambda: serializers.ChoiceField(
                choices=Tier.choices, required=False, help_text="Only agents in this tier"
            ),
            apply=lambda agents, value, user: agents.filter(tier=value),
            choices=lambda user: [(t.value, t.label) for t in Tier],
        ),
        DirectoryFilter(
            name="policy",
            label="Allowed by my policy",
            field=lambda: serializers.IntegerField(
                min_value=1,
                max_value=2**53 - 1,
                required=False,
                help_text="Only agents this access policy of yours allows today (as its decision would answer)",
            ),
            apply=allowed_by_policy,
            choices=_policy_choices,
        ),
    ),
)
