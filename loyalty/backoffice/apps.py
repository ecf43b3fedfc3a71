from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BackofficeConfig(AppConfig):
    """The staff back office: Django's admin over the domain apps (its `admin` module registers every page)."""

    name = "loyalty.backoffice"
    label = "backoffice"
    verbose_name = "Back office"

    def ready(self) -> None:
        from loyalty.backoffice.groups import sync_after_migrate

        # The staff groups need the permissions that migrate creates: synced after every migrate.
        post_migrate.connect(sync_after_migrate, dispatch_uid="programs.staff_groups_sync")
