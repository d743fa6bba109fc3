"""Background work of the log: checkpoints are signed here, never in a request."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache


@shared_task(name="transparency.sign_checkpoint")
def sign_checkpoint() -> int:
    """After appends (queued on commit, coalesced) and periodically: sign the tree as it stands; returns its size."""
    from transparency.log import CHECKPOINT_PENDING, checkpoint_sign

    cache.delete(CHECKPOINT_PENDING)  # before reading the tree: an append from now on queues another run
    return checkpoint_sign().size
