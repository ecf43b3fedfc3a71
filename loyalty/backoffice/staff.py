"""Staff accounts and groups in the back office's look; the OAuth toolkit's internals kept out of sight.

Partners' credentials are managed as API clients (programs.ApiClient); the toolkit's own applications, grants,
tokens and ID tokens are plumbing that staff must not edit by hand, so their pages are not registered.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from oauth2_provider import models as oauth_models
from unfold import admin as unfold_admin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

for model in (Group, User):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

for model in (
    oauth_models.get_application_model(),
    oauth_models.get_access_token_model(),
    oauth_models.get_refresh_token_model(),
    oauth_models.get_grant_model(),
    oauth_models.get_id_token_model(),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class StaffUserAdmin(BaseUserAdmin, unfold_admin.ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group)
class StaffGroupAdmin(BaseGroupAdmin, unfold_admin.ModelAdmin):
    pass
