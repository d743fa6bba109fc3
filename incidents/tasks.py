"""Background work of incidents: run a replay (takes the replay's id, calls the service)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="incidents.run_replay", acks_late=True)
def run_replay(replay_id: int) -> str:
    """Idempotent: a replay already claimed, done or failed is left alone."""
    from incidents.replays import replay_run

    return replay_run(replay_id=replay_id)
