from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programs"

    def ready(self) -> None:
        from programs.staff import sync_after_migrate

        # The staff groups need the permissions that migrate creates: synced after every migrate.
        post_migrate.connect(sync_after_migrate, dispatch_uid="programs.staff_groups_sync")
