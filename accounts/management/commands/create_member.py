"""Create a user in an organization (created if needed), or a platform arbiter.

    manage.py create_member USERNAME --org NAME --kind vendor|buyer [--role owner|member]
    manage.py create_member USERNAME --arbiter
    ... [--password-stdin] [--staff] [--email E]

Without --password-stdin a random password is generated and printed once.
Exits 2 with a message on bad arguments.
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Membership, Organization
from accounts.services import member_create, organization_get_or_create


class Command(BaseCommand):
    help = "Create a member of a vendor or buyer organization, or a platform arbiter."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--org", help="Organization name (created if it does not exist).")
        parser.add_argument("--kind", choices=Organization.Kind.values, help="Organization kind.")
        parser.add_argument("--role", choices=Membership.Role.values, default=Membership.Role.MEMBER)
        parser.add_argument("--arbiter", action="store_true", help="A platform arbiter (belongs to no organization).")
        parser.add_argument("--staff", action="store_true", help="May use the admin site.")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["arbiter"] and (options["org"] or options["kind"]):
            raise CommandError("An arbiter belongs to no party organization: drop --org and --kind.", returncode=2)
        if not options["arbiter"] and not options["staff"] and not (options["org"] and options["kind"]):
            raise CommandError("Give --org NAME and --kind vendor|buyer (or --arbiter, or --staff).", returncode=2)
        if bool(options["org"]) != bool(options["kind"]):
            raise CommandError("--org and --kind go together.", returncode=2)

        generated = False
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise CommandError("No password on standard input.", returncode=2)
        else:
            password, generated = secrets.token_urlsafe(12), True

        try:
            with transaction.atomic():
                organization = None
                if options["org"]:
                    organization, _ = organization_get_or_create(name=options["org"], kind=options["kind"])
                user = member_create(
                    username=options["username"],
                    password=password,
                    organization=organization,
                    role=options["role"],
                    is_arbiter=options["arbiter"],
                    is_staff=options["staff"],
                    email=options["email"],
                )
        except ValidationError as error:
            messages = "; ".join(
                f"{field}: {' '.join(msgs)}"
                for field, msgs in getattr(error, "message_dict", {"": error.messages}).items()
            )
            raise CommandError(messages, returncode=2) from None

        where = (
            f"{organization.name} ({organization.kind}, {options['role']})"
            if organization
            else ("platform arbiter" if options["arbiter"] else "staff")
        )
        self.stdout.write(self.style.SUCCESS(f"Created {user.username}: {where}"))
        if generated:
            self.stdout.write(f"Password (shown once): {password}")
