"""System checks: a malformed log signing key stops start-up (and ``manage.py check``), naming the variable."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security, deploy=False)
def log_signing_key(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    from transparency.log import signing_key

    try:
        signing_key()
    except ImproperlyConfigured as error:
        return [
            checks.Error(
                str(error),
                id="transparency.E001",
                hint="Set LOG_SIGNING_KEY to an Ed25519 PEM key, or unset it to use LOG_SIGNING_KEY_FILE.",
            )
        ]
    except OSError as error:
        return [checks.Error(f"LOG_SIGNING_KEY_FILE: cannot read or create it ({error}).", id="transparency.E002")]
    return []
