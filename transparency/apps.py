from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "transparency"
    verbose_name = "Transparency log"

    def ready(self) -> None:
        from django.conf import settings

        from transparency import checks  # noqa: F401  (registers the signing-key check)

        if settings.LOG_SIGNING_KEY:  # a key given in the environment is read at start-up: a bad one stops it
            from transparency.log import signing_key

            signing_key()
