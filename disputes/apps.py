from typing import Any

from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = "Disputes"

    def ready(self) -> None:
        """Disputes sit below reputation: they reach the apps above through their hooks.

        - verdicts: an open dispute marks its clause's verdicts ``disputed``; a ruling's override sets a status;
        - reputation: upheld rulings are score penalties and tier caps; policies count open disputes;
        - transparency: ``verify_log`` re-hashes every logged submission;
        - the menu: Disputes for the parties, the arbiter queue for arbiters and staff, precedent for everyone.
        """
        from disputes import tasks  # noqa: F401  (registers the beat's task in every worker)
        from disputes.hooks import clauses_under_dispute, open_dispute_count
        from disputes.rulings import ruling_caps, ruling_overrides, ruling_penalties
        from disputes.submissions import logged_submissions
        from reputation import policies
        from reputation import services as reputation_services
        from transparency import hooks as log_hooks
        from verdicts import hooks as verdict_hooks

        pairs: tuple[tuple[list[Any], Any], ...] = (
            (verdict_hooks.disputed_clauses, clauses_under_dispute),
            (verdict_hooks.overrides, ruling_overrides),
            (reputation_services.penalty_sources, ruling_penalties),
            (reputation_services.tier_caps, ruling_caps),
            (policies.open_disputes, open_dispute_count),
            (log_hooks.logged_data, logged_submissions),
        )
        for hook, handler in pairs:
            if handler not in hook:
                hook.append(handler)
