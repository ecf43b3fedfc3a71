"""Forms of the members admin: member profile, segment, points adjustment, tier override, segment upload, the
merge target and the erasure confirmation."""

import csv
import datetime
import io
import itertools
import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loyalty.backoffice.program_forms import ProgramCodeForm
from members.document import segment_spec
from members.models import MEMBER_ID_RE, Member, Segment
from programs.models import Program, Tier

UPLOAD_MAX_BYTES = 5 * 1024 * 1024
UPLOAD_MAX_IDS = 100_000
REASON_MAX_LENGTH = 255  # LedgerEntry.description


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = (
            "program",
            "member_id",
            "email",
            "first_name",
            "last_name",
            "language",
            "birth_date",
            "email_opt_out",
            "status",
        )
        labels = {"email_opt_out": "Unsubscribed from e-mail"}

    def clean_member_id(self):
        member_id = self.cleaned_data.get("member_id")
        if member_id and not MEMBER_ID_RE.fullmatch(member_id):
            raise forms.ValidationError("1-64 printable ASCII characters without spaces, '/', '?', '#', '%' or '\\'.")
        return member_id

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns, without the None of Form.clean's signature
        program = cleaned.get("program") or (self.instance.program if self.instance.program_id else None)
        language = cleaned.get("language")
        if program is not None and language and language not in program.languages:
            self.add_error("language", f"Must be one of the program's languages: {', '.join(program.languages)}.")
        return cleaned


class SegmentForm(ProgramCodeForm):
    section = "segments"
    spec = segment_spec

    class Meta:
        model = Segment
        fields = ("program", "code")


class AdjustPointsForm(forms.Form):
    points = forms.IntegerField(
        help_text="Positive to credit, negative to debit (at most the available balance).",
        min_value=-10_000_000,
        max_value=10_000_000,
    )
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Required: shown in the member's history and kept in the ledger.",
    )

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError("An adjustment moves at least one point.")
        return points

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why.")
        return reason


class TierChoiceField(forms.ModelChoiceField):
    """A tier of one program, shown by its name in the program's default language and its code."""

    program: Program | None = None

    def label_from_instance(self, obj: Any) -> str:
        name = self.program.text(obj.name) if self.program is not None else ""
        return f"{name or obj.code} ({obj.code})"


class TierOverrideForm(forms.Form):
    """The member's tier set by hand: a tier of the member's program (or none), a reason and an end date, the
    date read in the program's time zone and kept to the end of that day."""

    tier = TierChoiceField(
        queryset=Tier.objects.none(),
        required=False,
        empty_label="No tier",
        help_text="“No tier” takes the tier away (no end date then: the next earn reaching a threshold gives one).",
    )
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Required: shown in the member's tier history and in the page's history.",
    )
    until = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        self.zone = zoneinfo.ZoneInfo(program.timezone)
        tier_field = self.fields["tier"]
        assert isinstance(tier_field, TierChoiceField)
        tier_field.queryset = Tier.objects.filter(program=program).order_by("position", "threshold")
        tier_field.program = program
        today = timezone.now().astimezone(self.zone).date()
        until_field = self.fields["until"]
        until_field.widget.attrs["min"] = today.isoformat()
        until_field.help_text = (
            f"The tier is kept to the end of this day in the program's time zone ({program.timezone}), whatever "
            "the points; then the daily assessment decides again. Today or later."
        )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why.")
        return reason

    def clean_until(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["until"]
        if self.end_of(day) <= timezone.now():
            raise forms.ValidationError("The end date must be today or later.")
        return day

    def end_of(self, day: datetime.date) -> datetime.datetime:
        """The end of `day` in the program's zone: midnight starting the next day."""
        return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=self.zone)


class MergeTargetForm(forms.Form):
    """The member a duplicate is merged into: a member id of the same program (not the duplicate itself)."""

    target = forms.CharField(
        label=_("Merge into member id"),
        max_length=64,
        help_text=_("The member id that keeps the points, in the same program."),
    )

    def __init__(self, *args: Any, source: Member, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.source = source

    def clean_target(self) -> Member:
        member_id = self.cleaned_data["target"].strip()
        target = (
            Member.objects.filter(program_id=self.source.program_id, member_id=member_id)
            .select_related("program")
            .first()
            if "\x00" not in member_id
            else None
        )
        if target is None:
            raise forms.ValidationError(
                gettext("No member %(member)s in program %(program)s.")
                % {"member": member_id, "program": self.source.program.code}
            )
        if target.pk == self.source.pk:
            raise forms.ValidationError(gettext("A member cannot be merged into itself."))
        return target


class EraseConfirmForm(forms.Form):
    """Erasure is typed out: the member id, exactly."""

    confirm = forms.CharField(label=_("Type the member id to confirm"), max_length=64, strip=False)

    def __init__(self, *args: Any, member: Member, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"]
        if typed != self.member.member_id:
            raise forms.ValidationError(
                gettext("Type %(member)s exactly to erase this member.") % {"member": self.member.member_id}
            )
        return typed


class SegmentUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file of member ids",
        help_text="One member id per line, or a CSV file with a member_id column (other columns are ignored).",
    )

    def clean_file(self) -> list[str]:
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(f"The file is over {UPLOAD_MAX_BYTES // (1024 * 1024)} MB.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text.") from exc
        ids = member_ids_from_csv(text)
        if not ids:
            raise forms.ValidationError("No member id in the file.")
        if len(ids) > UPLOAD_MAX_IDS:
            raise forms.ValidationError(f"{len(ids)} ids: at most {UPLOAD_MAX_IDS} in one file.")
        self.malformed = [member_id for member_id in ids if not MEMBER_ID_RE.fullmatch(member_id)]
        return ids


def member_ids_from_csv(text: str) -> list[str]:
    """The distinct ids, in file order: the `member_id` column when a header names it, else the first column."""
    rows = csv.reader(io.StringIO(text))
    first = next(rows, None)
    if first is None:
        return []
    header = [cell.strip().lower() for cell in first]
    column = header.index("member_id") if "member_id" in header else 0
    body = rows if "member_id" in header else itertools.chain([first], rows)
    ids = (row[column].strip() for row in body if len(row) > column)
    return list(dict.fromkeys(member_id for member_id in ids if member_id))
