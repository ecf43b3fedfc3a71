"""Graceful shutdown of a real worker process: SIGTERM (what `docker stop`, Kubernetes and systemd send) in the
middle of a slow task, then a new worker: the work is done exactly once.

- Warm shutdown: the worker stops taking messages, finishes the task it runs, acknowledges it, and exits 0; the
  new worker finds nothing to redo.
- Past the grace period (`docker stop` follows with SIGKILL): the task dies unacknowledged (acks_late); the broker
  gives it to the new worker after the visibility timeout, which does it once.

The slow task is the real voucher issue, held back at its start by tests/slow_worker.py.
"""

import subprocess
import time

import pytest
import redis

from catalog.models import Gift
from conftest import ApiClient, issue_token
from rewards.models import Redemption, Voucher
from tests.celery_worker import Worker, queue_names, wait_for
from tests.factories import GiftFactory, MemberFactory, ProgramFactory
from tests.helpers import fund

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

SLOW_SECONDS = 6
VISIBILITY = "3"  # seconds before an unacknowledged message is delivered again (production: 300)


def redeem_voucher() -> int:
    program = ProgramFactory(code="STOP")
    # No e-mail address: the voucher task then queues no "voucher issued" e-mail, so an empty broker afterwards
    # means the task's own message was acknowledged (the notifications path has tests of its own).
    member = MemberFactory(program=program, member_id="M-1", email="")
    GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=100, value="10.00", voucher_valid_days=30)
    fund(member, 100)
    answer = ApiClient(issue_token(program)).post(
        "/api/v1/redemptions", {"reference": "R1", "member_id": "M-1", "gift": "V10"}
    )
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def slow_worker(broker: str, tmp_path, name: str, pool: str, slow: bool) -> Worker:
    env = {"CELERY_VISIBILITY_TIMEOUT": VISIBILITY, "SLOW_LOG": str(tmp_path / "runs.log")}
    if slow:
        env.update(SLOW_TASKS="rewards.tasks.issue_voucher", SLOW_SECONDS=str(SLOW_SECONDS))
    return Worker(broker, tmp_path / f"{name}.log", env, app="tests.slow_worker", pool=pool)


def runs(tmp_path) -> list[str]:
    path = tmp_path / "runs.log"
    return [line.split()[0] for line in path.read_text().splitlines()] if path.exists() else []


def broker_is_empty(url: str) -> bool:
    """No message waiting in any queue, none delivered and unacknowledged."""
    client = redis.Redis.from_url(url)
    return all(client.llen(queue) == 0 for queue in queue_names()) and client.hlen("unacked") == 0


def issued(rid: int) -> int:
    return Voucher.objects.filter(redemption_id=rid).count()


def work_done_once(rid: int, logs: list) -> None:
    assert issued(rid) == 1
    redemption = Redemption.objects.get(pk=rid)
    assert redemption.status == "delivered"
    assert redemption.status_changes.count() == 2
    text = "".join(log.read_text() for log in logs if log.exists())
    assert text.count(f"Voucher ready for redemption {rid}.") == 1


@pytest.mark.parametrize("pool", ["solo", "prefork"])
def test_sigterm_finishes_the_running_task_then_exits(celery_broker, tmp_path, pool):
    first = slow_worker(celery_broker, tmp_path, "first", pool, slow=True)
    first.start()
    try:
        rid = redeem_voucher()
        wait_for(lambda: runs(tmp_path) == ["start"], timeout=30)
        started = time.monotonic()
        first.terminate()
        try:
            code = first.process.wait(SLOW_SECONDS + 30)
        except subprocess.TimeoutExpired:
            pytest.fail("the worker did not stop after SIGTERM")
        # It waited for the task (warm shutdown), which did its work before the process ended.
        assert time.monotonic() - started >= SLOW_SECONDS - 2
        assert code == 0
        assert runs(tmp_path) == ["start", "end"]
        assert issued(rid) == 1
        assert "Warm shutdown" in first.log_path.read_text() or "warm shutdown" in first.log_path.read_text()
    finally:
        first.stop()
    assert broker_is_empty(celery_broker)  # acknowledged: nothing left for another worker
    second = slow_worker(celery_broker, tmp_path, "second", pool, slow=False)
    second.start()
    try:
        time.sleep(int(VISIBILITY) + 3)  # past the visibility timeout: a message left unacknowledged would be back
    finally:
        second.stop()
    assert runs(tmp_path) == ["start", "end"]
    work_done_once(rid, [first.log_path, second.log_path])


def test_sigkill_after_the_grace_period_requeues_the_task_done_once(celery_broker, tmp_path):
    first = slow_worker(celery_broker, tmp_path, "first", "prefork", slow=True)
    first.start()
    try:
        rid = redeem_voucher()
        wait_for(lambda: runs(tmp_path) == ["start"], timeout=30)
        first.terminate()
        time.sleep(1)  # the grace period (`stop_grace_period`) is shorter than the task
        first.kill()
    finally:
        first.stop()
    assert runs(tmp_path) == ["start"]
    assert issued(rid) == 0
    # A worker gives back unacknowledged messages older than the visibility timeout when it starts, then scans
    # again only every 100 s (kombu: unacked_restore_interval 10 s × unacked_restore_throttle 10): the new worker
    # comes up after the timeout, as a restarted container would.
    time.sleep(int(VISIBILITY) + 1)
    second = slow_worker(celery_broker, tmp_path, "second", "prefork", slow=False)
    second.start()
    try:
        # Delivered again once the visibility timeout has passed, and done.
        wait_for(lambda: issued(rid) == 1, timeout=60)
        wait_for(lambda: broker_is_empty(celery_broker), timeout=30)
        time.sleep(int(VISIBILITY) + 2)
    finally:
        second.stop()
    work_done_once(rid, [first.log_path, second.log_path])
