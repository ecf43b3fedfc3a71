"""Helpers of the admin tests: staff users in a group, attached to programs, and admin URLs."""

import re

from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from loyalty.backoffice.groups import PROGRAM_MANAGER, staff_groups_sync


def staff_user(username: str, *programs, group: str = PROGRAM_MANAGER):
    """A staff (not super) user in `group`, attached to `programs`."""
    staff_groups_sync()
    user = get_user_model().objects.create_user(username=username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    for program in programs:
        program.staff.add(user)
    return user


def admin_url(model, view: str, *args) -> str:
    # As the admin's own links do: ids are quoted (`_` escapes), since the admin unquotes them (msg_40… is msg@…).
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=[quote(a) for a in args])


def cell(page: str, field: str) -> str:
    """The text of the first changelist cell of a column (unfold's cells carry many classes after field-<name>)."""
    match = re.search(rf'<td class="field-{field}[^"]*"[^>]*>(.*?)</td>', page, re.S)
    assert match, f"no field-{field} cell"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def readonly_values(response) -> dict[str, str]:
    """The read-only fields of a change page, by name, as rendered (HTML for the tables)."""
    return {
        line.field["name"]: str(line.contents())
        for fieldset in response.context["adminform"]
        for row in fieldset
        for line in row
        if line.is_readonly
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
