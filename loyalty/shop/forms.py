"""Webshop forms: every POST carries Django's CSRF token (checked by the middleware)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loyalty.core.translation import language_name
from loyalty.shop.services import REFERENCE_RE
from members.addresses import COUNTRY_CODES, MAX_LENGTHS, is_country, is_phone

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
    # Set by the "redeem again" button of the repeat question only.
    again = forms.BooleanField(required=False, widget=forms.HiddenInput)


class TelInput(forms.TextInput):
    input_type = "tel"


def _typed(token: str) -> forms.TextInput:
    """A text box that browsers fill in from the member's saved addresses (HTML autocomplete tokens)."""
    return forms.TextInput(attrs={"autocomplete": token})


class AddressForm(forms.Form):
    """The member's delivery address, with the rules the API applies to it (members.addresses)."""

    name = forms.CharField(
        label=pgettext_lazy("address", "Name"), max_length=MAX_LENGTHS["name"], widget=_typed("name")
    )
    street = forms.CharField(
        label=pgettext_lazy("address", "Street and number"),
        max_length=MAX_LENGTHS["street"],
        widget=_typed("street-address"),
    )
    postal_code = forms.CharField(
        label=pgettext_lazy("address", "Postal code"),
        max_length=MAX_LENGTHS["postal_code"],
        widget=_typed("postal-code"),
    )
    city = forms.CharField(
        label=pgettext_lazy("address", "City"), max_length=MAX_LENGTHS["city"], widget=_typed("address-level2")
    )
    # The codes; the page's script writes each country's name in the page's language beside it.
    country = forms.ChoiceField(
        label=pgettext_lazy("address", "Country"),
        choices=[("", "—"), *((c, c) for c in COUNTRY_CODES)],
        widget=forms.Select(attrs={"autocomplete": "country", "data-country-names": ""}),
    )
    phone = forms.CharField(
        label=pgettext_lazy("address", "Phone (optional)"),
        max_length=MAX_LENGTHS["phone"],
        required=False,
        widget=TelInput(attrs={"autocomplete": "tel"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "address")
        super().__init__(*args, **kwargs)

    def clean_country(self) -> str:
        value = self.cleaned_data["country"]
        if not is_country(value):
            raise forms.ValidationError(_("Choose a country from the list."))
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        if not is_phone(value):
            raise forms.ValidationError(_("Only digits, spaces and + ( ) - . / are allowed."))
        return value


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"))
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, language_name(code)) for code in languages]
