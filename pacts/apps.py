from django.apps import AppConfig


class PactsConfig(AppConfig):
    name = "pacts"
    verbose_name = "Agents and pacts"

    def ready(self) -> None:
        from accounts.navigation import register
        from accounts.roles import Role

        register("Agents", "pacts:agent_list", frozenset(Role), position=1)
