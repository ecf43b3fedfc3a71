"""Customer service on a member's page: block/unblock, and a one-time webshop login link to copy or e-mail.

Both go through the members services (`member_set_status`, `login_link_issue`, which refuses a blocked member as
the API's identification does) and are written to the admin's audit log (LogEntry) — the link itself never is:
it is a password for one login. The e-mail is plain text in the member's language (else the program's).
"""

import logging
import smtplib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loyalty.backoffice import labels
from loyalty.core.errors import DomainError
from members import services
from members.identification import login_link_issue, login_link_seconds
from members.models import Member

logger = logging.getLogger(__name__)

LOGIN_LINK_SUBJECT = _("Your login link for %(program)s")
LOGIN_LINK_BODY = _(
    "Hello %(name)s,\n\n"
    "Here is your link to the %(program)s webshop. It works once, within %(minutes)s minutes:\n\n"
    "%(url)s\n\n"
    "If you did not ask for it, you can ignore this e-mail."
)


def login_link_email(*, member: Member, url: str) -> tuple[str, str]:
    """Subject and body in the member's language (the program's default when the member chose none)."""
    language = member.language or member.program.default_language
    with translation.override(language):
        values = {
            "program": member.program.name,
            "name": member.first_name or member.member_id,
            "minutes": login_link_seconds() // 60,
            "url": url,
        }
        return str(LOGIN_LINK_SUBJECT % values), str(LOGIN_LINK_BODY % values)


class CustomerServiceViews:
    """Mixed into MemberAdmin (which provides object_for, page, log_change, message_user and permissions)."""

    object_for: Any
    page: Any
    log_change: Any
    message_user: Any
    has_change_permission: Any

    def can_set_status(self, request: HttpRequest, member: Member) -> bool:
        return member.status != Member.MERGED and self.has_change_permission(request, member)

    def status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST status=active|blocked from the member's page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        member = self.object_for(request, object_id, self.can_set_status)
        status = request.POST.get("status", "")
        back = HttpResponseRedirect(reverse("admin:members_member_change", args=[member.pk]))
        if status not in (Member.ACTIVE, Member.BLOCKED):
            self.message_user(request, gettext("Unknown status."), messages.ERROR)
            return back
        if member.status == status:
            return back
        before = member.status
        try:
            services.member_set_status(member=member, status=status)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return back
        was, now = labels.label(labels.MEMBER_STATUS, before), labels.label(labels.MEMBER_STATUS, status)
        self.log_change(request, member, f"Status {before} → {status} (from the member's page).")
        self.message_user(request, f"{member.member_id}: {was} → {now}.", messages.SUCCESS)
        return back

    def can_send_login_link(self, request: HttpRequest, member: Member) -> bool:
        """Whoever may change the member (customer service, program managers), for a member who may log in."""
        return not member.is_blocked and member.erased_at is None and self.has_change_permission(request, member)

    def login_link_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: the choice (show to copy, or e-mail); POST how=show|email: a new link, shown or sent."""
        member = self.object_for(request, object_id, self.can_send_login_link)
        how = request.POST.get("how", "")
        link = None
        error = None
        if request.method == "POST" and how in ("show", "email"):
            if how == "email" and not member.email:
                error = gettext("The member has no e-mail address.")
            else:
                try:
                    token = login_link_issue(member=member)
                except DomainError as exc:
                    error = exc.message
                else:
                    link = request.build_absolute_uri(reverse("shop:login", args=[token]))
            if link is not None and how == "email":
                subject, body = login_link_email(member=member, url=link)
                try:
                    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [member.email])
                except (OSError, smtplib.SMTPException):
                    # The mail server is down or refuses: say so on the page; the unsent link simply expires.
                    logger.exception("Login link e-mail to member %s not sent", member.pk)
                    return self.page(
                        request,
                        "admin/members/member/login_link.html",
                        member,
                        gettext("Webshop login link for %(member)s") % {"member": member.member_id},
                        link=None,
                        error=gettext("The e-mail could not be sent; try again later or show a link to copy."),
                        minutes=login_link_seconds() // 60,
                    )
                self.log_change(request, member, f"One-time webshop login link e-mailed to {member.email}.")
                self.message_user(
                    request,
                    gettext("A one-time login link was e-mailed to %(email)s.") % {"email": member.email},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:members_member_change", args=[member.pk]))
            if link is not None:
                self.log_change(request, member, "One-time webshop login link created and shown to staff.")
        return self.page(
            request,
            "admin/members/member/login_link.html",
            member,
            gettext("Webshop login link for %(member)s") % {"member": member.member_id},
            link=link,
            error=error,
            minutes=login_link_seconds() // 60,
        )
