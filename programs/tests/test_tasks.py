import datetime
import hashlib

from django.conf import settings
from django.utils import timezone
from oauth2_provider.models import AccessToken

from conftest import ApiClient, issue_token
from programs.tasks import clear_expired_tokens


def test_clear_expired_tokens_removes_expired_and_keeps_valid(program):
    expired = issue_token(program)
    valid = issue_token(program)
    AccessToken.objects.filter(token_checksum=hashlib.sha256(expired.encode()).hexdigest()).update(
        expires=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert AccessToken.objects.count() == 2

    clear_expired_tokens.delay()

    assert AccessToken.objects.count() == 1
    assert ApiClient(valid).get("/api/v1/program").status_code == 200
    assert ApiClient(expired).get("/api/v1/program").status_code == 401


def test_clear_expired_tokens_is_the_scheduled_task():
    assert settings.CELERY_BEAT_SCHEDULE["clear-expired-tokens"]["task"] == clear_expired_tokens.name
