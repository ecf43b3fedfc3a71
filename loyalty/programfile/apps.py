from django.apps import AppConfig


class ProgramFileConfig(AppConfig):
    """Program as code: the import_program and export_program commands."""

    name = "loyalty.programfile"
    label = "programfile"
    verbose_name = "Program files"
