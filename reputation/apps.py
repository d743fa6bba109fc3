from django.apps import AppConfig


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
        register("Webhooks", "reputation:webhooks", frozenset({Role.BUYER}))
