from django.core.management.base import BaseCommand, CommandError

from programs.models import Program
from rewards.ledger_check import ledger_differences


class Command(BaseCommand):
    help = "Verifies that every member's balance equals the sum of their ledger entries and lots."

    def add_arguments(self, parser):
        parser.add_argument("--program", help="Only this program's members (code).")

    def handle(self, *args, program=None, **options):
        program_id = None
        if program:
            found = Program.objects.filter(code=program).first()
            if found is None:
                raise CommandError(f"No program with code {program}.")
            program_id = found.pk
        differences = ledger_differences(program_id)
        for d in differences:
            self.stdout.write(f"{d.program} {d.member_id}: {d.problem}")
        if differences:
            raise CommandError(f"{len(differences)} member(s) differ from their ledger.")
        self.stdout.write(self.style.SUCCESS("Ledger OK: every balance equals its entries and lots."))
