from django.core.management.base import BaseCommand

from loyalty.demo.history import demo_history
from loyalty.demo.loader import (
    DEMO_CLIENT_NAME,
    demo_api_client,
    demo_load,
    demo_login_link,
    demo_shop_member,
    demo_staff_user,
    demo_superuser,
)
from loyalty.shop.login_links import site_url
from members.identification import login_link_seconds

# Relative to the project root, where manage.py runs.
DEMO_FILE_HINT = "loyalty/demo/data/demo_program.json"


class Command(BaseCommand):
    help = (
        "Loads the demo program (DEMO) with members, an API client, an admin user and a webshop login link. "
        "Safe to run again: a second run adds only what is missing (program, stock, members, history and the "
        "API client's secret are left as they are) and prints a fresh login link."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=None,
            help="Where the server runs, for the printed links (default: DJANGO_SITE_URL, else http://127.0.0.1:8000).",
        )
        parser.add_argument(
            "--rotate-secret",
            action="store_true",
            help="Give the existing demo API client a new secret and print it (the old secret stops working).",
        )

    def handle(self, *args, base_url: str | None, rotate_secret: bool, **options):
        base_url = (base_url or site_url()).rstrip("/")
        self.stdout.write("Loading the demo program and its members (what exists already is kept)...")
        data = demo_load(progress=lambda done, total: self.stdout.write(f"  members {done}/{total}"))
        program = data.program
        client, secret, client_created = demo_api_client(program=program, rotate_secret=rotate_secret)
        shop_member = demo_shop_member(program=program, members=data.members)
        self.stdout.write("Posting the members' history (purchases, events, gifts)...")
        history = demo_history(
            program=program,
            members=data.members,
            progress=lambda done, total: self.stdout.write(f"  history {done}/{total}"),
        )
        self.stdout.write(f"History posted for {history} member(s) now.")
        # The webshop member may have been blocked or merged since the first run: no link then, and it says so.
        login_link = None if shop_member.is_blocked else demo_login_link(member=shop_member, base_url=base_url)
        admin_created = demo_superuser()
        staff_created = demo_staff_user(program=program)

        if data.imported is not None:
            counts = data.imported.counts
            summary = ", ".join(f"{sum(c.values())} {section.replace('_', ' ')}" for section, c in counts.items())
            self.stdout.write(f"Program {program.code} ({program.name}): {summary}.")
        else:
            self.stdout.write(
                f"Program {program.code} ({program.name}) already exists: left as it is (stock, prices, promotions). "
                f"To apply the demo file again: python manage.py import_program {DEMO_FILE_HINT}"
            )
        self.stdout.write(f"Members: {len(data.members)} ({data.members_created} enrolled now).")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Admin"))
        self.stdout.write(f"  URL:      {base_url}/admin/")
        if admin_created:
            self.stdout.write("  login:    admin / admin")
        else:
            self.stdout.write("  login:    admin (the user already existed: its password was left unchanged)")
        if staff_created:
            self.stdout.write(f"  staff:    marketing / marketing (Program manager of {program.code} only)")
        else:
            self.stdout.write(f"  staff:    marketing (Program manager of {program.code}; password left unchanged)")
        self.stdout.write("")
        state = "created" if client_created else ("reused, new secret" if secret else "reused, secret unchanged")
        self.stdout.write(self.style.SUCCESS(f"API client {DEMO_CLIENT_NAME!r} ({state})"))
        self.stdout.write(f"  client_id:     {client.application.client_id}")
        if secret:
            self.stdout.write(f"  client_secret: {secret}")
        else:
            self.stdout.write("  client_secret: (unchanged: the one printed when it was made still works)")
        self.stdout.write(f"  scopes:        {client.scopes}")
        if secret:
            self.stdout.write("  The secret is stored hashed and shown only now.")
        else:
            self.stdout.write("  The secret is stored hashed and cannot be shown again.")
        self.stdout.write(
            "  A new one: python manage.py load_demo --rotate-secret (or the admin action on API clients); "
            "the old one then stops working."
        )
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Get a token, then call the API"))
        shown = secret or "<client_secret>"
        self.stdout.write(
            f"  curl -s -X POST {base_url}/oauth/token/ -u '{client.application.client_id}:{shown}' "
            "-d grant_type=client_credentials"
        )
        self.stdout.write(f'  curl -s {base_url}/api/v1/program -H "Authorization: Bearer <access_token>"')
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Member webshop"))
        self.stdout.write(
            f"  member:     {shop_member.member_id} ({shop_member.first_name} {shop_member.last_name}), "
            f"{shop_member.balance.available} points available"
        )
        if login_link is None:
            self.stdout.write(
                f"  login link: none, the member is {shop_member.status}; another member's: "
                f"python manage.py member_login_link {program.code} <member_id> --base-url {base_url}"
            )
            return
        self.stdout.write(f"  login link: {login_link}")
        self.stdout.write(
            f"  The link works once, within {login_link_seconds() // 60} minutes. Another one: "
            f"python manage.py member_login_link {program.code} {shop_member.member_id} --base-url {base_url}"
        )
