from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from accounts.navigation import register
        from accounts.roles import Role

        register("Evidence", "evidence:my_evidence", frozenset({Role.VENDOR}), position=2)
