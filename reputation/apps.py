from django.apps import AppConfig


def is_engaged(agent_id: int, organization_id: int) -> bool:
    """Whether the buyer organization engages the agent today (an engagement started and not ended)."""
    from django.db.models import Q
    from django.utils import timezone

    from reputation.models import Engagement

    today = timezone.localdate()
    return Engagement.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        agent_id=agent_id,
        buyer_id=organization_id,
        ended_at__isnull=True,
        starts_on__lte=today,
    ).exists()


class ReputationConfig(AppConfig):
    name = "reputation"
    verbose_name = "Reputation"

    def ready(self) -> None:
        """Reputation sits below verdicts: it joins the evaluation through verdicts' hook, so a run that
        records a breach re-scores and re-tiers the agent in the same transaction (``reputation.services``)."""
        from pacts import hooks as pact_hooks
        from reputation.panels import score_panel
        from reputation.services import reputation_update
        from verdicts import hooks as verdict_hooks

        if reputation_update not in verdict_hooks.evaluated:
            verdict_hooks.evaluated.append(reputation_update)
        if score_panel not in pact_hooks.agent_panels:
            pact_hooks.agent_panels.insert(0, score_panel)
        # Webhooks: events become deliveries (reputation.webhooks); buyers manage endpoints from the menu.
        from accounts.navigation import register
        from accounts.roles import Role
        from reputation import events
        from reputation.webhooks import webhook_deliveries_create

        if webhook_deliveries_create not in events.deliverers:
            events.deliverers.append(webhook_deliveries_create)
        from reputation.warnings import warning_announce

        if warning_announce not in verdict_hooks.warned:
            verdict_hooks.warned.append(warning_announce)
        register("Webhooks", "reputation:webhooks", frozenset({Role.BUYER}))
        # Engagements and the consequence ledger: credits on breach, engagements follow new versions, the
        # "Engage this agent" panel, the sweep task, and the buyers' and vendors' pages.
        from reputation import ledger_tasks  # noqa: F401  (registers reputation.ledger_sweep in every worker)
        from reputation.engagements import engagements_on_publish
        from reputation.ledger import ledger_on_evaluation
        from reputation.ledger_panels import engagement_panel

        if ledger_on_evaluation not in verdict_hooks.evaluated:
            verdict_hooks.evaluated.append(ledger_on_evaluation)
        if engagements_on_publish not in pact_hooks.version_published:
            pact_hooks.version_published.append(engagements_on_publish)
        if engagement_panel not in pact_hooks.agent_panels:
            pact_hooks.agent_panels.append(engagement_panel)
        register("Engagements", "reputation:engagements", frozenset({Role.BUYER, Role.VENDOR, Role.STAFF}))
        register("Ledger", "reputation:ledger", frozenset({Role.BUYER, Role.VENDOR, Role.STAFF}))
        # Access policies: buyers write them and ask for decisions; the page has a live preview.
        register("Policies", "reputation:policies", frozenset({Role.BUYER, Role.STAFF}))
        # Access requests to restricted evidence: the vendor's "engaged buyers" auto-approval asks this.
        from evidence import hooks as evidence_hooks

        if is_engaged not in evidence_hooks.engaged:
            evidence_hooks.engaged.append(is_engaged)
        # Diligence reports: the render task in every worker, who sees a render job, the agent page's link.
        from reputation import report_tasks, rules_report  # noqa: F401
        from reputation.report_panels import report_panel

        if report_panel not in pact_hooks.agent_panels:
            pact_hooks.agent_panels.append(report_panel)
        # The directory's columns and filters (reputation/directory.py, pacts.hooks.directory_columns).
        from pacts.hooks import register_directory
        from reputation.directory import PROVIDER as directory_provider

        register_directory(directory_provider)
