from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        """Incidents sit at the bottom of the stack: they read every app above and nothing reaches them but pages.

        The menu has Incidents for everyone (public incidents are public); the "Open an incident" links on the
        clause, dispute and score pages are in those templates, asking ``incidents.create``.
        """
        from accounts.navigation import register
        from accounts.roles import Role

        register("Incidents", "incidents:list", frozenset(Role))
