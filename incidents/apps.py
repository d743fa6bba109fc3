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
        # Early warnings (verdicts' burn-rate warnings) are candidates for an incident's first missed signal.
        from incidents import hooks
        from incidents.warning_signals import warning_signals

        if warning_signals not in hooks.signal_sources:
            hooks.signal_sources.append(warning_signals)
        # The starting taxonomy is data, seeded by a migration; a flush (test databases) removes it and emits
        # post_migrate, so it is put back then, as Django does for content types (missing rows only).
        from django.db.models.signals import post_migrate

        post_migrate.connect(_taxonomy_back, sender=self, dispatch_uid="incidents-taxonomy")


def _taxonomy_back(sender: object, using: str = "default", **kwargs: object) -> None:
    import importlib

    from django.apps import apps as registry

    from incidents.models import StructuralWeakness

    if StructuralWeakness.objects.using(using).exists():
        return
    importlib.import_module("incidents.migrations.0002_seed_weaknesses").seed(registry, None)
