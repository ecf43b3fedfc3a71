import json

from django.core.management.base import BaseCommand, CommandError

from loyalty.programfile.exporter import program_export
from programs.models import Program


class Command(BaseCommand):
    help = "Prints a whole program as JSON, in the format import_program reads."

    def add_arguments(self, parser):
        parser.add_argument("program_code")

    def handle(self, *args, program_code: str, **options):
        program = Program.objects.filter(code=program_code).first()
        if program is None:
            raise CommandError(f"No program with code {program_code}.")
        self.stdout.write(json.dumps(program_export(program=program), indent=2, ensure_ascii=False))
