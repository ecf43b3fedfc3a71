"""Celery beat that runs once, however many beat processes are started.

Run one `celery -A loyalty beat`. A second one (a rolling deploy, a service scaled by mistake, a demo worker
started with `--beat` beside it) does no harm: before every pass the scheduler holds a lock in Redis, the broker,
`SET loyalty:beat:leader <token> NX PX <ttl>`, which the holder renews on each pass (its passes are at most
`lock_ttl / 3` apart). Only the holder sends the due tasks; another beat finds the lock taken, sends nothing and
asks again a little later, so it takes over within `lock_ttl` seconds when the holder dies, and at once when the
holder stops cleanly (it deletes its lock on the way out).

The lock saves duplicate work; it is not what keeps the data right. Every periodic task is idempotent on its own:
the sweepers only re-queue work whose tasks are idempotent, and the clock jobs lock the rows they change and skip
what is already done. A beat that takes over may send a job its predecessor sent a moment before, and that is
harmless.

Without a Redis broker (eager mode), it schedules like Celery's own PersistentScheduler.
"""

import logging
import os
import socket
import uuid
from typing import Any

import redis
from celery.beat import PersistentScheduler

logger = logging.getLogger("loyalty.beat")

# Renews the lock only while this beat holds it; deletes it only if this beat holds it.
RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class SingleBeatScheduler(PersistentScheduler):
    lock_key = "loyalty:beat:leader"
    #: seconds a holder that stopped renewing keeps the lock
    lock_ttl = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        self.is_leader = False
        self._announced: bool | None = None  # the role last logged
        self._client: redis.Redis | None = None
        super().__init__(*args, **kwargs)

    def lock_client(self) -> redis.Redis | None:
        url = self.app.conf.broker_url or ""
        if not url.startswith(("redis://", "rediss://", "unix://")):
            return None
        if self._client is None:
            self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return self._client

    def hold_lock(self) -> bool:
        """True when this beat holds the lock (taken or renewed now); False when another beat holds it or Redis
        cannot say (then nothing is sent: a beat cannot publish without its broker anyway)."""
        client = self.lock_client()
        if client is None:
            return True
        ttl_ms = int(self.lock_ttl * 1000)
        try:
            held = bool(client.eval(RENEW, 1, self.lock_key, self.token, ttl_ms)) or bool(
                client.set(self.lock_key, self.token, nx=True, px=ttl_ms)
            )
        except redis.RedisError as exc:
            logger.warning("beat: cannot reach Redis for the beat lock (%s); sending nothing this pass.", exc)
            held = False
        if held != self._announced:
            if held:
                logger.info(
                    "beat: this beat (%s) holds the lock %s and sends the periodic tasks.", self.token, self.lock_key
                )
            else:
                logger.warning(
                    "beat: another beat holds the lock %s; this one (%s) stands by.", self.lock_key, self.token
                )
        self.is_leader = self._announced = held
        return held

    def release_lock(self) -> None:
        client = self.lock_client()
        if client is None or not self.is_leader:
            return
        try:
            client.eval(RELEASE, 1, self.lock_key, self.token)
        except redis.RedisError:
            logger.warning("beat: could not release the beat lock; it expires in %ss.", self.lock_ttl)
        self.is_leader = False

    def tick(self, *args: Any, **kwargs: Any) -> float:
        renew_every = self.lock_ttl / 3
        if not self.hold_lock():
            return renew_every
        return min(super().tick(*args, **kwargs), renew_every)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_lock()
