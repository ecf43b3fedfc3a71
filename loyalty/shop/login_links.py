"""One-time webshop login links for people outside a request (a command, the demo): the shop owns the link's
path, members.identification makes and spends its token. The API's Identification user builds the same link
from the request's host; here the caller says where the shop runs (`settings.SITE_URL` by default)."""

from django.conf import settings
from django.urls import reverse

from members.identification import member_identify
from members.models import Member
from members.selectors import member_get
from programs.models import Program


class LoginLinkRefused(Exception):
    """No link for this program or member; the message says why, for the person who asked."""


def site_url() -> str:
    return settings.SITE_URL.rstrip("/")


def login_url(*, member: Member, base_url: str | None = None) -> str:
    """A fresh one-time link that logs the member into the shop (a blocked or merged member: MemberBlocked)."""
    token = member_identify(member=member).login_token
    return (base_url or site_url()).rstrip("/") + reverse("shop:login", args=[token])


def member_login_url(*, program_code: str, member_id: str, base_url: str | None = None) -> tuple[Member, str]:
    """The member by the partner's ids, with a fresh link; LoginLinkRefused when there is nobody to log in."""
    program = Program.objects.filter(code=program_code).first()
    if program is None:
        raise LoginLinkRefused(f"No program with code {program_code!r}.")
    member = member_get(program=program, member_id=member_id, segments=False)
    if member is None:
        raise LoginLinkRefused(f"No member {member_id!r} in program {program.code}.")
    if member.erased_at is not None:
        raise LoginLinkRefused(f"Member {member_id} was erased: there is nobody to log in.")
    if member.status == Member.MERGED:
        target = member.merged_into.member_id if member.merged_into else "another member"
        raise LoginLinkRefused(f"Member {member_id} was merged into {target}: ask a link for {target}.")
    if member.status == Member.BLOCKED:
        raise LoginLinkRefused(f"Member {member_id} is blocked and cannot log into the shop.")
    return member, login_url(member=member, base_url=base_url)
