from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from accounts.navigation import register
        from accounts.roles import Role

        register("Evidence", "evidence:my_evidence", frozenset({Role.VENDOR}), position=2)
        register("Log", "evidence:log", frozenset(Role))

        from evidence.tasks import evaluate_agent
        from pacts import hooks

        def evaluate_on_publish(version: object) -> None:
            evaluate_agent.delay_on_commit(version.pact.agent_id)  # type: ignore[attr-defined]

        if not any(getattr(h, "__name__", "") == "evaluate_on_publish" for h in hooks.version_published):
            hooks.version_published.append(evaluate_on_publish)

        from accounts.navigation import register_home_panel
        from evidence.panels import clause_board, home_agents

        register_home_panel(frozenset({Role.VENDOR, Role.BUYER}), home_agents)

        if clause_board not in hooks.agent_panels:
            hooks.agent_panels.append(clause_board)
