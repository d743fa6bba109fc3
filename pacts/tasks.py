"""Background work for pacts: e-mailing followers about new versions."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse

from accounts.models import User
from pacts.models import PactVersion


@shared_task(name="pacts.email_followers_of_version", acks_late=True)
def email_followers_of_version(version_id: int, loosened: list[str]) -> int:
    """E-mail every follower with an address; returns the number of messages sent."""
    version = PactVersion.objects.select_related("pact__agent").filter(pk=version_id).first()
    if version is None:
        return 0
    pact, agent = version.pact, version.pact.agent
    recipients = list(
        User.objects.filter(follows__agent=agent, is_active=True).exclude(email="").values_list("email", flat=True)
    )
    subject = f"[Trust Portal] {agent.name}: pact “{pact.title}” v{version.number} published"
    lines = [
        f"{agent.name} published version {version.number} of its pact “{pact.title}”.",
        f"It takes effect {version.effective_from:%Y-%m-%d %H:%M} UTC. Content hash: {version.content_hash}.",
        "",
    ]
    if loosened:
        lines.append("LOOSENED clauses (they do not inherit the old clause's record): " + ", ".join(loosened) + ".")
    else:
        lines.append("No clause was loosened.")
    if version.changelog:
        lines += ["", "Changelog:", version.changelog]
    lines += [
        "",
        f"See it: {settings.SITE_URL}{reverse('pacts:version', args=[pact.pk, version.number])}",
    ]
    messages = [(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
    return send_mass_mail(messages, fail_silently=False) if messages else 0
