"""The unsubscribe link of every e-mail: GET shows a confirmation button, POST opts the member out.

A GET never unsubscribes, so a mail scanner that opens links does no harm. The POST is also what mail clients
send for a one-click unsubscribe (RFC 8058, the `List-Unsubscribe-Post` header): without cookies or a CSRF token,
so the view is exempt from the CSRF check; the signed token in the path is the proof, as it is for the GET.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from rewards.notifications.render import member_language
from rewards.notifications.services import BadUnsubscribeLink, member_unsubscribe, unsubscribe_link_member


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        member = unsubscribe_link_member(token=token)
    except BadUnsubscribeLink:
        return render(request, "shop/unsubscribe.html", {"state": "invalid"}, status=400)
    if member is None:
        return render(request, "shop/unsubscribe.html", {"state": "unknown"}, status=404)
    program = member.program
    # The page speaks the member's language (the e-mail's), not the browser's.
    with translation.override(member_language(program, member.language)):
        if request.method == "POST":
            member_unsubscribe(member=member)
            state = "done"
        else:
            state = "done" if member.email_opt_out else "confirm"
        response = render(request, "shop/unsubscribe.html", {"state": state, "program": program})
    return response
