"""Gunicorn's settings for `gunicorn loyalty.wsgi`: gunicorn reads ./gunicorn.conf.py from the directory it is
started in (the repository root, as in the README, .ci/demo and tests/live_server.py); started elsewhere, pass
`--config /path/to/gunicorn.conf.py`. Command-line options (bind, workers, timeouts, access log) still apply.

- Metrics of every worker: prometheus-client's multiprocess mode. The workers write their counters to files in
  PROMETHEUS_MULTIPROC_DIR (a fresh temporary directory when the variable is not set, removed on exit), which
  `/metrics` adds up whichever worker answers. The directory is emptied when gunicorn starts (counts start
  at zero with the server), and a worker that exits is marked dead so that its live gauges stop counting while
  its counters stay in the totals. One directory per gunicorn server.
- Logs: gunicorn's own lines (workers booting, exiting, timing out; the access log when asked for) in the
  application's format, JSON or text (DJANGO_LOG_FORMAT, see loyalty/settings.py).
"""

import glob
import os
import shutil
import tempfile

from gunicorn.glogging import Logger

# Set before any worker imports prometheus-client, which chooses its mode when imported.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="loyalty-metrics-")
    os.environ["LOYALTY_METRICS_TEMPORARY_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)


# Each request on its own connection. A gthread worker keeps serving the connections it accepted, so kept-alive
# connections (a proxy's pool, a partner's client) can pile onto one worker while the others idle: bench/hot_paths.py
# with 8 kept-alive connections had all of them on one of two workers (GET /program 251 req/s instead of 480-630).
# Behind a proxy the partners' keep-alive ends at the proxy anyway; a new loopback or LAN connection costs far less.
keepalive = 0


def post_worker_init(worker):
    """Imports the URLconf (every view, serializer and schema) before the first request, then freezes the garbage
    collector's view of everything loaded so far: the ~150,000 objects of Django, DRF and the app are never scanned
    again. Without it a full collection scans them all (about 100 ms on the bench machine), every ~150 basket
    evaluations of 100 lines, because the engine's many short-lived objects keep promoting survivors."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (the property imports every view module)
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    temporary = os.environ.get("LOYALTY_METRICS_TEMPORARY_DIR")
    if temporary and temporary == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shutil.rmtree(temporary, ignore_errors=True)


def _log_format() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
    from django.conf import settings

    return settings.DJANGO_LOG_FORMAT


class AppFormatLogger(Logger):
    """Gunicorn's logger, writing in the application's log format."""

    def setup(self, cfg):
        super().setup(cfg)
        if _log_format() != "json":
            return
        from loyalty.ops.logs import JsonFormatter

        formatter = JsonFormatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)


logger_class = AppFormatLogger
