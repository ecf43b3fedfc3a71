import json

from django.core.management.base import BaseCommand, CommandError

from programs.models import Program
from programs.services import InvalidScopes, api_client_create


class Command(BaseCommand):
    help = "Creates an API client bound to a program and prints its credentials as JSON (the secret only now)."

    def add_arguments(self, parser):
        parser.add_argument("program_code")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", required=True, help='Space-separated, e.g. "program:read points:write".')

    def handle(self, *args, program_code, name, scopes, **options):
        program = Program.objects.filter(code=program_code).first()
        if program is None:
            raise CommandError(f"No program with code {program_code}.")
        try:
            client, secret = api_client_create(program=program, name=name, scopes=scopes)
        except InvalidScopes as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps({"client_id": client.application.client_id, "client_secret": secret}))
