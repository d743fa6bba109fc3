from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "transparency"
    verbose_name = "Transparency log"

    def ready(self) -> None:
        from transparency import checks  # noqa: F401  (registers the signing-key check)
