"""The staff groups of the admin and their model permissions, created idempotently.

A staff user sees the rows of the programs they are attached to (`Program.staff`, enforced by
`loyalty.backoffice.scope`); the group says what they may do with those rows:

- **Program manager** runs the program: promotions, segments, tiers, event types, the catalog (gifts, categories),
  members (no deletion: the ledger protects them), adjustments, redemptions through their statuses, and the
  program's own settings (but not who its staff are, nor adding programs: superusers do that). API clients are
  view-only: creating a client or rotating its secret hands out credentials to the whole program's data, which
  stays with superusers (the people who also run the servers), and a manager sees who has access.
  Webhook subscriptions are the manager's (add, disable/enable and rotate with "change", delete): a
  subscription belongs to an API client the superuser already created and only sends that client's own
  program's events to a public https address the partner gives; deliveries "change" is the "Re-send" of failed
  ones (API.md: "the marketing team can re-send it from the admin"); events are view-only.
- **Customer service** looks after members: view and change them (profile, block/unblock), adjust points
  (`rewards.add_ledgerentry` — the ledger is append-only, so "add an entry" is exactly an adjustment), read the
  ledger and balances, the member's redemptions and the catalog they were made from, and segments; webhook
  subscriptions, deliveries and events view-only (to answer "did the partner hear of it?"), nothing more.
- **Fulfilment** follows gifts to the door: redemptions view/change (status moves go through the services),
  their status history, vouchers and the gifts and categories they concern.

Permissions only exist after `migrate` created them, so `ProgramsConfig.ready` runs the sync after every
migrate (post_migrate), and `load_demo` runs it too. A re-run makes each group hold exactly these permissions.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

PROGRAM_MANAGER = "Program manager"
CUSTOMER_SERVICE = "Customer service"
FULFILMENT = "Fulfilment"

ALL = ("view", "add", "change", "delete")

# group -> {"app_label.model": actions}
GROUP_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    PROGRAM_MANAGER: {
        "programs.program": ("view", "change"),
        "programs.tier": ALL,
        "programs.eventtype": ALL,
        "programs.apiclient": ("view",),
        "programs.webhooksubscription": ALL,
        "programs.webhookdelivery": ("view", "change"),
        "programs.webhookevent": ("view",),
        "members.member": ("view", "add", "change"),
        "members.segment": ALL,
        "rewards.promotion": ALL,
        "rewards.pointsbalance": ("view",),
        "rewards.ledgerentry": ("view", "add"),
        "rewards.redemption": ("view", "change"),
        "rewards.redemptionstatuschange": ("view",),
        "rewards.voucher": ("view",),
        "rewards.notificationtext": ALL,
        "rewards.notificationsettings": ("view", "add", "change"),
        "rewards.notification": ("view",),
        "catalog.giftcategory": ALL,
        "catalog.gift": ALL,
    },
    CUSTOMER_SERVICE: {
        "members.member": ("view", "change"),
        "members.segment": ("view",),
        "rewards.pointsbalance": ("view",),
        "rewards.ledgerentry": ("view", "add"),
        "rewards.redemption": ("view",),
        "rewards.redemptionstatuschange": ("view",),
        "rewards.voucher": ("view",),
        "rewards.notification": ("view",),
        "catalog.gift": ("view",),
        "catalog.giftcategory": ("view",),
        "programs.webhooksubscription": ("view",),
        "programs.webhookdelivery": ("view",),
        "programs.webhookevent": ("view",),
    },
    FULFILMENT: {
        "rewards.redemption": ("view", "change"),
        "rewards.redemptionstatuschange": ("view",),
        "rewards.voucher": ("view",),
        "catalog.gift": ("view",),
        "catalog.giftcategory": ("view",),
    },
}


def _codenames(models: dict[str, tuple[str, ...]]) -> set[tuple[str, str]]:
    wanted: set[tuple[str, str]] = set()
    for label, actions in models.items():
        app_label, model = label.split(".")
        wanted.update((app_label, f"{action}_{model}") for action in actions)
    return wanted


@transaction.atomic
def staff_groups_sync() -> dict[str, int]:
    """Creates the groups if missing and sets their permissions to exactly the table above.

    Returns the number of permissions of each group. Permissions not created yet (before the app's migrate)
    are skipped; the next run adds them.
    """
    wanted = {group: _codenames(models) for group, models in GROUP_PERMISSIONS.items()}
    app_labels = {app for codes in wanted.values() for app, _ in codes}
    permissions = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.filter(content_type__app_label__in=app_labels).select_related("content_type")
    }
    counts = {}
    for name, codes in wanted.items():
        group, _ = Group.objects.get_or_create(name=name)
        found = [permissions[code] for code in sorted(codes) if code in permissions]
        group.permissions.set(found)
        counts[name] = len(found)
    return counts


def sync_after_migrate(sender, **kwargs) -> None:
    """post_migrate receiver: syncs once the last app has migrated (every permission exists by then)."""
    from django.apps import apps

    configs = [config for config in apps.get_app_configs() if config.models_module is not None]
    if configs and sender is configs[-1]:
        staff_groups_sync()
