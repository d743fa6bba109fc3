from typing import Any

from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = "Disputes"

    def ready(self) -> None:
        """Disputes sit below reputation: they reach the apps above through their hooks.

        - verdicts: an open dispute marks its clause's verdicts ``disputed``; a ruling's override sets a status;
        - reputation: upheld rulings are score penalties and tier caps; policies count open disputes; a credit
          under dispute stays pending past its cure period (money waits for due process);
        - transparency: ``verify_log`` re-hashes every logged submission;
        - the menu: Disputes for the parties, the arbiter queue for arbiters and staff, precedent for everyone.
        """
        from disputes import tasks  # noqa: F401  (registers the beat's task in every worker)
        from disputes.hooks import clauses_under_dispute, entries_under_dispute, open_dispute_count_sql
        from disputes.rulings import ruling_caps, ruling_overrides, ruling_penalties
        from disputes.submissions import logged_submissions
        from reputation import ledger, policies
        from reputation import services as reputation_services
        from transparency import hooks as log_hooks
        from verdicts import hooks as verdict_hooks

        pairs: tuple[tuple[list[Any], Any], ...] = (
            (verdict_hooks.disputed_clauses, clauses_under_dispute),
            (verdict_hooks.overrides, ruling_overrides),
            (reputation_services.penalty_sources, ruling_penalties),
            (reputation_services.tier_caps, ruling_caps),
            (policies.open_disputes_sql, open_dispute_count_sql),  # read inside the decision's one query
            (ledger.held_entries, entries_under_dispute),
            (log_hooks.logged_data, logged_submissions),
        )
        for hook, handler in pairs:
            if handler not in hook:
                hook.append(handler)
        # Pages: the menu, the home panels (an arbiter signs in to their queue), a ruling's words on the score page.
        from accounts.navigation import register, register_home_panel
        from accounts.roles import Role
        from disputes.panels import agent_disputes, home_disputes, home_queue, ruling_links
        from pacts import hooks as pact_hooks
        from reputation import views as reputation_views

        register("Disputes", "disputes:list", frozenset({Role.BUYER, Role.VENDOR, Role.STAFF}))
        register("Arbiter queue", "disputes:queue", frozenset({Role.ARBITER, Role.STAFF}))
        register("Precedent", "disputes:precedent", frozenset(Role))
        register_home_panel(frozenset({Role.ARBITER, Role.STAFF}), home_queue)
        register_home_panel(frozenset({Role.BUYER, Role.VENDOR}), home_disputes)
        reputation_views.source_links.setdefault("ruling", ruling_links)
        if agent_disputes not in pact_hooks.agent_panels:  # the agent page's open disputes and public rulings
            pact_hooks.agent_panels.append(agent_disputes)
        # The diligence report lists the agent's rulings as precedent shows them to its reader (redacted where due).
        from reputation import report_hooks

        if report_rulings not in report_hooks.rulings:
            report_hooks.rulings.append(report_rulings)
        # The directory's columns and filters (disputes/directory.py, pacts.hooks.directory_columns).
        from disputes.directory import PROVIDER as directory_provider
        from pacts.hooks import register_directory

        register_directory(directory_provider)


def report_rulings(*, user: Any, agent: Any) -> list[dict[str, Any]]:
    """An agent's standing rulings for its diligence report (reputation.report_hooks.rulings), newest first."""
    from disputes.selectors import precedent_search, ruling_public

    return [ruling_public(ruling, user) for ruling in precedent_search(user=user, agent=agent.slug)[:50]]
