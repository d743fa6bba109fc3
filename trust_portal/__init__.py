"""Project package: settings, URLs, the Celery app. Nothing of the domain lives here."""

from trust_portal.celery import app as celery_app

__all__ = ["celery_app"]
