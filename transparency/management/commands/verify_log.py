"""Re-verify the transparency log: every leaf against its data, every checkpoint against the leaves,
its signature and its predecessor. Exit 1 if anything is wrong."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from transparency.log import log_size, verify_stored_log
from transparency.models import LogCheckpoint


class Command(BaseCommand):
    help = "Verify every stored checkpoint against the leaves and against its predecessor."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify_stored_log()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} problem(s) found in the transparency log.")
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {log_size()} leaves, {LogCheckpoint.objects.count()} checkpoints, each consistent with the last."
            )
        )
