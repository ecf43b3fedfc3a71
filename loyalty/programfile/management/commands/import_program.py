import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from loyalty.programfile.importer import ProgramFileError, program_import_report

SECTIONS = (
    "tiers",
    "segments",
    "categories",
    "gifts",
    "event_types",
    "promotions",
    "notification_settings",
    "notification_texts",
)


class Command(BaseCommand):
    help = "Creates or updates a whole program from a JSON file (all or nothing); see API.md, 'Program as code'."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the program JSON document.")

    def handle(self, *args, file: str, **options):
        try:
            data = json.loads(Path(file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file} is not valid JSON: {exc}") from exc
        except RecursionError:
            raise CommandError(f"{file} is not valid JSON: nested too deeply to be read.") from None
        try:
            result = program_import_report(data=data)
        except ProgramFileError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(exc.errors)} error(s) in {file}; nothing was imported.") from exc
        program = result.program
        self.stdout.write(f"Program {program.code} {'created' if result.program_created else 'updated'}.")
        for section in SECTIONS:
            count = result.counts[section]
            self.stdout.write(
                f"  {section}: {count['created']} created, {count['updated']} updated, {count['unchanged']} unchanged"
            )
