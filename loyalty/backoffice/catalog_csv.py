"""Admin pages of the gift CSV: export a program's gifts; import with a preview, then apply.

The previewed file travels back with the "Apply" button inside a signed value (no server-side state);
applying checks the file again and refuses it when its preview changed since (loyalty.backoffice.gift_csv).
"""

import csv
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import AnonymousUser, User
from django.core import signing
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from catalog.models import Gift
from loyalty.backoffice.form_style import unfold_style
from loyalty.backoffice.gift_csv import GiftCsvPreview, GiftCsvRefused, gift_csv_apply, gift_csv_preview, gift_csv_rows
from loyalty.backoffice.scope import staff_programs
from programs.models import Program

SALT = "loyalty.backoffice.gift_csv"
MAX_UPLOAD = 10 * 1024 * 1024
PAYLOAD_MAX_AGE = 3600


class ProgramForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), empty_label=None)

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["program"]
        if isinstance(field, forms.ModelChoiceField):  # the field declared above
            field.queryset = staff_programs(user)


class UploadForm(ProgramForm):
    file = forms.FileField(label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_UPLOAD:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB.")
        return file


class ApplyForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)


def _log(request: HttpRequest, preview: GiftCsvPreview) -> None:
    """The import in the admin's history of each gift (Django's LogEntry), one bulk insert per kind of change."""
    user = request.user
    if not user.is_authenticated:  # not reached: the view requires add and change permissions
        return
    # After the apply, every new and updated row has its gift.
    added = [row.gift for row in preview.rows if row.status == "new" and row.gift is not None]
    if added:
        LogEntry.objects.log_actions(user.pk, added, ADDITION, "Added by CSV import.")
    changed: dict[tuple[str, ...], list[Gift]] = {}
    for row in preview.rows:
        if row.status == "update" and row.gift is not None:
            changed.setdefault(tuple(change.field for change in row.changes), []).append(row.gift)
    for fields, gifts in changed.items():
        LogEntry.objects.log_actions(user.pk, gifts, CHANGE, f"Changed {', '.join(fields)} by CSV import.")


def _payload(program: Program, text: str, preview: GiftCsvPreview) -> str:
    return signing.dumps(
        {"program": program.pk, "csv": text, "fingerprint": preview.fingerprint}, salt=SALT, compress=True
    )


class GiftAdminView(View):
    """A page of the gift admin: `as_view(model_admin=...)` gives it the gift ModelAdmin."""

    model_admin: ModelAdmin | None = None

    @property
    def gift_admin(self) -> ModelAdmin:
        if self.model_admin is None:
            raise ImproperlyConfigured(f"{type(self).__name__}.as_view() needs model_admin.")
        return self.model_admin


class GiftCsvExportView(GiftAdminView):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.gift_admin.has_view_permission(request):
            raise PermissionDenied
        form = ProgramForm(request.GET, user=request.user)
        if not form.is_valid():
            return HttpResponseRedirect(reverse("admin:catalog_gift_csv"))
        program = form.cleaned_data["program"]
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="gifts-{program.code}-{timezone.now():%Y%m%d}.csv"'
        csv.writer(response).writerows(gift_csv_rows(program=program))
        return response


class GiftCsvView(GiftAdminView):
    """GET: the export and upload forms. POST: a preview of the upload, or (with `payload`) the apply."""

    template_name = "admin/catalog/gift/csv.html"

    def _allowed(self, request: HttpRequest) -> bool:
        admin = self.gift_admin
        return admin.has_add_permission(request) and admin.has_change_permission(request)

    def _render(self, request: HttpRequest, **context) -> HttpResponse:
        admin = self.gift_admin
        chosen = request.GET.get("program") or request.GET.get("program__id__exact")
        initial = {"program": chosen} if chosen else {}
        context.setdefault("export_form", ProgramForm(initial=initial, user=request.user))
        context.setdefault("upload_form", UploadForm(initial=initial, user=request.user))
        context.update(
            admin.admin_site.each_context(request),
            opts=admin.model._meta,
            title="Gifts: CSV export and import",
            can_import=self._allowed(request),
        )
        for name in ("export_form", "upload_form"):
            unfold_style(context[name])
        return render(request, self.template_name, context)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.gift_admin.has_view_permission(request):
            raise PermissionDenied
        return self._render(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self._allowed(request):
            raise PermissionDenied
        if "payload" in request.POST:
            return self._apply(request)
        upload = UploadForm(request.POST, request.FILES, user=request.user)
        if not upload.is_valid():
            return self._render(request, upload_form=upload)
        program = upload.cleaned_data["program"]
        data = upload.cleaned_data["file"].read()
        preview = gift_csv_preview(program=program, data=data)
        return self._preview(request, program, data, preview)

    def _preview(
        self, request: HttpRequest, program: Program, data: bytes | str, preview: GiftCsvPreview
    ) -> HttpResponse:
        apply_form = None
        if preview.ok:
            text = data if isinstance(data, str) else data.decode("utf-8-sig")
            apply_form = ApplyForm(initial={"payload": _payload(program, text, preview)})
        return self._render(
            request,
            program=program,
            preview=preview,
            apply_form=apply_form,
            counts={status: preview.count(status) for status in ("new", "update", "unchanged", "error")},
            changed_rows=[row for row in preview.rows if row.status != "unchanged"],
        )

    def _apply(self, request: HttpRequest) -> HttpResponse:
        form = ApplyForm(request.POST)
        try:
            payload = signing.loads(form.data.get("payload", ""), salt=SALT, max_age=PAYLOAD_MAX_AGE)
        except signing.BadSignature:
            messages.error(request, "The preview expired or was altered: upload the file again.")
            return HttpResponseRedirect(reverse("admin:catalog_gift_csv"))
        program = staff_programs(request.user).filter(pk=payload["program"]).first()
        if program is None:
            raise PermissionDenied
        try:
            preview = gift_csv_apply(
                program=program, data=payload["csv"], actor=request.user.get_username(), expected=payload["fingerprint"]
            )
        except GiftCsvRefused as refused:
            messages.error(request, str(refused))
            return self._preview(request, program, payload["csv"], refused.preview)
        _log(request, preview)
        messages.success(
            request,
            f"{program.code}: {preview.count('new')} gift(s) created, {preview.count('update')} updated, "
            f"{preview.count('unchanged')} unchanged.",
        )
        return HttpResponseRedirect(f"{reverse('admin:catalog_gift_changelist')}?program__id__exact={program.pk}")
