"""Background work of the ledger and engagements: the periodic sweep (``CELERY_BEAT_SCHEDULE``).

Imported by ``ReputationConfig.ready()`` so every worker registers it (``reputation.tasks`` belongs to webhooks).
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reputation.ledger_sweep", acks_late=True)
def ledger_sweep() -> dict[str, int]:
    """Entries whose cure period ended become owed; lapsed engagements end; engagements follow versions that took
    effect since they were published. Idempotent: a second run changes nothing."""
    from reputation.engagements import engagements_catch_up, engagements_close_lapsed
    from reputation.ledger import ledger_cure_sweep

    return {
        "owed": ledger_cure_sweep(),
        "ended": engagements_close_lapsed(),
        "followed": engagements_catch_up(),
    }
