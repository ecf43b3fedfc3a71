import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from loyalty.celery import app
from loyalty.ops.periodic import PeriodicRunner


class Command(BaseCommand):
    help = (
        "Runs the periodic jobs (CELERY_BEAT_SCHEDULE) in this process at their intervals, for a setup without a "
        "broker, where tasks run eagerly (the demo without Redis). With a broker, run Celery beat and a worker."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once now, then stop")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        runner = PeriodicRunner(app, settings.CELERY_BEAT_SCHEDULE)
        if once:
            for name in runner.jobs:
                runner.run(name)
            return
        self.stdout.write(f"Running {len(runner.jobs)} periodic jobs; Ctrl-C stops.")
        while True:
            time.sleep(runner.tick())
