from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from accounts.navigation import register
        from accounts.roles import Role

        register("Evidence", "evidence:my_evidence", frozenset({Role.VENDOR}), position=2)
        # Access requests to restricted evidence: the buyer's own, the vendor's incoming (one page, two labels),
        # the "Request access" panel on the agent page, and the expiry reminder is evidence.tasks (beat, hourly).
        from evidence.panels import access_panel
        from pacts import hooks as pact_hooks

        register("My access requests", "evidence:access_requests", frozenset({Role.BUYER}))
        register("Access requests", "evidence:access_requests", frozenset({Role.VENDOR}))
        if access_panel not in pact_hooks.agent_panels:
            pact_hooks.agent_panels.append(access_panel)
