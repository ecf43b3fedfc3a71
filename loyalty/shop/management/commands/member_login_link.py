from django.core.management.base import BaseCommand, CommandError

from loyalty.shop.login_links import LoginLinkRefused, member_login_url, site_url
from members.identification import login_link_seconds


class Command(BaseCommand):
    help = (
        "Prints a fresh one-time webshop login link for a member (it works once, within minutes). "
        "Refused, with exit status 1, for an unknown program or member and a blocked, merged or erased member."
    )

    def add_arguments(self, parser):
        parser.add_argument("program", help="The program's code, e.g. DEMO.")
        parser.add_argument("member_id", help="The partner's member id, e.g. DEMO-0001.")
        parser.add_argument(
            "--base-url",
            default=None,
            help="Where the shop runs, for the link (default: DJANGO_SITE_URL, else http://127.0.0.1:8000).",
        )

    def handle(self, *args, program: str, member_id: str, base_url: str | None, **options):
        try:
            member, url = member_login_url(program_code=program, member_id=member_id, base_url=base_url or site_url())
        except LoginLinkRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(url)
        self.stderr.write(
            f"One-time link for {member.member_id}, valid {login_link_seconds() // 60} minutes; run again for another."
        )
