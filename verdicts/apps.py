from django.apps import AppConfig


class VerdictsConfig(AppConfig):
    name = "verdicts"
    verbose_name = "Verdicts"

    def ready(self) -> None:
        """Verdicts sit above both evidence and the log, so this is where the two are joined:

        - evidence's ``leaf_log`` hook appends accepted records to the transparency log;
        - the log's ``logged_data`` hook lets ``verify_log`` re-hash the evidence records;
        - accepted evidence and published pact versions queue an evaluation of the agent;
        - the clause board and the evidence freshness timeline join the agent page, the agents' status the home
          page, the log page the menu.
        """
        from accounts.navigation import register, register_home_panel
        from accounts.roles import Role
        from evidence import hooks as evidence_hooks
        from pacts import hooks as pact_hooks
        from transparency import hooks as log_hooks
        from transparency.log import log_append
        from verdicts.panels import clause_board, freshness_timeline, home_agents
        from verdicts.wiring import evaluate_on_accept, evaluate_on_publish, logged_evidence

        evidence_hooks.leaf_log[:] = [log_append]
        _add_once(log_hooks.logged_data, logged_evidence)
        _add_once(evidence_hooks.evidence_accepted, evaluate_on_accept)
        _add_once(pact_hooks.version_published, evaluate_on_publish)
        _add_once(pact_hooks.agent_panels, clause_board)
        _add_once(pact_hooks.agent_panels, freshness_timeline)
        register_home_panel(frozenset({Role.VENDOR, Role.BUYER}), home_agents)
        register("Log", "transparency:log", frozenset(Role))
        # The directory's clause summary and evidence freshness (verdicts/directory.py, pacts.hooks.directory_columns).
        from pacts.hooks import register_directory
        from verdicts.directory import PROVIDER as directory_provider

        register_directory(directory_provider)


def _add_once(hook: list, handler: object) -> None:  # type: ignore[type-arg]
    if handler not in hook:
        hook.append(handler)
