"""A segment's members in the back office: the paged list on the segment's page, adding or removing one member by
id, and the CSV upload in two steps (preview, then apply).

Writes go through the members services (`segment_add_member`, `segment_remove_member`, `segment_members_add`) and
are written to the audit log. Between the preview and the apply, the uploaded ids wait in the cache under a random
key bound to the segment and the user (a file of 100,000 ids does not fit in a form or a cookie).
"""

import secrets
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext

from loyalty.backoffice import labels
from loyalty.backoffice.member_forms import SegmentUploadForm
from members import services
from members.models import Member, Segment
from members.selectors import segment_upload_preview

MEMBERS_PER_PAGE = 25
SHOWN_IDS = 100
UPLOAD_KEPT_SECONDS = 30 * 60


def _upload_key(segment: Segment, request: HttpRequest, token: str) -> str:
    return f"backoffice:segment-upload:{segment.pk}:{request.user.pk}:{token}"


class SegmentMemberViews:
    """Mixed into SegmentAdmin (which provides object_for, page, log_change, message_user and permissions)."""

    object_for: Any
    page: Any
    log_change: Any
    message_user: Any
    admin_site: Any
    has_change_permission: Any
    has_view_permission: Any

    def segment_member_urls(self) -> list:
        return [
            path(
                "<path:object_id>/members/",
                self.admin_site.admin_view(self.segment_member_view),
                name="members_segment_member",
            ),
            path(
                "<path:object_id>/upload-members/",
                self.admin_site.admin_view(self.upload_view),
                name="members_segment_upload",
            ),
        ]

    def member_page(self, request: HttpRequest, segment: Segment) -> dict[str, Any]:
        """The segment's members, a page at a time (?page=), for the segment's change page."""
        members = (
            Member.objects.filter(memberships__segment=segment)
            .select_related("balance")
            .order_by("member_id")
            .only("pk", "member_id", "email", "first_name", "last_name", "status", "balance__available")
        )
        page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
        rows = [
            {
                "member": m,
                "name": " ".join(p for p in (m.first_name, m.last_name) if p),
                "status": labels.label(labels.MEMBER_STATUS, m.status),
                "url": reverse("admin:members_member_change", args=[m.pk]),
            }
            for m in page
        ]
        return {
            "segment_members": page,
            "segment_rows": rows,
            "can_edit_members": self.has_change_permission(request, segment),
        }

    def segment_member_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST action=add|remove, member_id=…: one member in or out of the segment."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        segment = self.object_for(request, object_id, self.has_change_permission)
        back = HttpResponseRedirect(reverse("admin:members_segment_change", args=[segment.pk]) + "#segment-members")
        action, member_id = request.POST.get("action", ""), request.POST.get("member_id", "").strip()
        member = Member.objects.filter(program_id=segment.program_id, member_id=member_id).first()
        if action not in ("add", "remove") or not member_id:
            self.message_user(request, gettext("Give a member id."), messages.ERROR)
            return back
        if member is None:
            self.message_user(
                request,
                gettext("No member %(member)s in %(program)s.")
                % {"member": member_id, "program": segment.program.code},
                messages.ERROR,
            )
            return back
        if action == "add":
            changed = services.segment_add_member(segment=segment, member=member)
            done = (
                gettext("%(member)s added to %(segment)s.")
                if changed
                else gettext("%(member)s was already in %(segment)s.")
            )
            log = f"Member {member.member_id} added."
        else:
            changed = services.segment_remove_member(segment=segment, member=member)
            done = (
                gettext("%(member)s removed from %(segment)s.")
                if changed
                else gettext("%(member)s was not in %(segment)s.")
            )
            log = f"Member {member.member_id} removed."
        if changed:
            self.log_change(request, segment, log)
        self.message_user(
            request,
            done % {"member": member.member_id, "segment": segment.code},
            messages.SUCCESS if changed else messages.WARNING,
        )
        return back

    # ---- CSV upload: preview, then apply ----------------------------------------------------------------------

    def upload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        segment = self.object_for(request, object_id, self.has_change_permission)
        if request.method == "POST" and "confirm" in request.POST:
            return self._apply_upload(request, segment)
        form = SegmentUploadForm(request.POST or None, request.FILES or None)
        preview, token, name = None, "", ""
        if request.method == "POST" and form.is_valid():
            ids = form.cleaned_data["file"]
            upload = request.FILES["file"]
            name = (upload.name or "") if isinstance(upload, UploadedFile) else ""
            preview = segment_upload_preview(segment=segment, member_ids=ids)
            token = secrets.token_urlsafe(16)
            cache.set(_upload_key(segment, request, token), {"ids": ids, "name": name}, UPLOAD_KEPT_SECONDS)
        return self.page(
            request,
            "admin/members/segment/upload_members.html",
            segment,
            gettext("Add members to %(segment)s from a CSV file") % {"segment": segment.code},
            form=form,
            preview=preview,
            token=token,
            file_name=name,
            shown=SHOWN_IDS,
            member_count=segment.memberships.count(),
        )

    def _apply_upload(self, request: HttpRequest, segment: Segment) -> HttpResponse:
        key = _upload_key(segment, request, request.POST.get("token", ""))
        kept = cache.get(key)
        if kept is None:
            self.message_user(request, gettext("That preview has expired: upload the file again."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:members_segment_upload", args=[segment.pk]))
        cache.delete(key)
        ids, name = kept["ids"], kept["name"]
        result = services.segment_members_add(segment=segment, member_ids=ids)
        unknown = len(result.unknown_members)
        self.log_change(
            request,
            segment,
            f"Uploaded {name}: {len(ids)} ids, {result.added} members added, {unknown} unknown.",
        )
        self.message_user(
            request,
            gettext("%(added)s member(s) added to %(segment)s; %(already)s already in it; %(unknown)s unknown id(s).")
            % {
                "added": result.added,
                "segment": segment.code,
                "already": len(ids) - result.added - unknown,
                "unknown": unknown,
            },
            messages.WARNING if unknown else messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:members_segment_change", args=[segment.pk]) + "#segment-members")
