"""Periodic jobs of the programs app: thin wrappers around the work they schedule."""

from celery import shared_task
from oauth2_provider.models import clear_expired


@shared_task
def clear_expired_tokens() -> None:
    """Deletes expired OAuth tokens (hourly, see CELERY_BEAT_SCHEDULE)."""
    clear_expired()
