"""Webshop forms: every POST carries Django's CSRF token (checked by the middleware)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from loyalty.core.translation import language_name
from loyalty.shop.services import REFERENCE_RE

MAX_QUANTITY = 10


class QuantityForm(forms.Form):
    quantity = forms.TypedChoiceField(
        label=_("Quantity"),
        choices=[(n, str(n)) for n in range(1, MAX_QUANTITY + 1)],
        coerce=int,
        initial=1,
    )


class RedeemForm(QuantityForm):
    reference = forms.RegexField(regex=REFERENCE_RE, widget=forms.HiddenInput)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"))
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, language_name(code)) for code in languages]
