"""Fill the database with the demo world. Idempotent.

Each app that has demo data provides ``<app>.demo.seed(out) -> list[Login]``;
they run in INSTALLED_APPS order, so later apps build on earlier ones.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings


class Command(BaseCommand):
    help = "Create (or complete) the demo organizations, users and data, and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins: list[tuple[str, str, str]] = []
        # Demo history is not news: nobody is e-mailed while it is loaded.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
            for config in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as error:
                    if error.name == f"{config.name}.demo":
                        continue
                    raise
                logins.extend(module.seed(self.stdout))
        if logins:
            self.stdout.write(self.style.SUCCESS("\nDemo logins (http://127.0.0.1:8000/accounts/login/):"))
            width = max(len(username) for username, _, _ in logins)
            for username, password, what in logins:
                self.stdout.write(f"  {username.ljust(width)}  {password}  {what}")
