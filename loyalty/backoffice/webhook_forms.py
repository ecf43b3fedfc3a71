"""Forms of the webhooks admin: a new subscription, and the reason of a disable."""

from django import forms
from django.db.models import QuerySet

from programs.models import ApiClient, WebhookSubscription
from programs.webhooks import EVENT_TYPES


class WebhookSubscribeForm(forms.Form):
    """What `webhook_subscribe` takes. The URL and the events are checked by the service (its InvalidSubscription
    lands on the field it names): the form only bounds their size."""

    api_client = forms.ModelChoiceField(
        queryset=ApiClient.objects.none(),
        label="API client",
        help_text="The partner system that receives the deliveries (an active client of one of your programs).",
    )
    url = forms.CharField(
        label="URL",
        max_length=WebhookSubscription._meta.get_field("url").max_length,
        widget=forms.URLInput(attrs={"size": 80}),
        help_text="The partner's https:// endpoint; it must not point to a private or loopback address.",
    )
    events = forms.MultipleChoiceField(
        choices=[(event_type, event_type) for event_type in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,  # "at least one" is the service's rule, reported on this field
        help_text="The event types delivered to this endpoint.",
    )
    description = forms.CharField(
        max_length=WebhookSubscription._meta.get_field("description").max_length, required=False
    )

    def __init__(self, *args, clients: QuerySet[ApiClient], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["api_client"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clients


class WebhookDisableForm(forms.Form):
    reason = forms.CharField(
        max_length=WebhookSubscription._meta.get_field("disabled_reason").max_length,
        required=False,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Shown in the list of subscriptions. Nothing is delivered while it is disabled.",
    )
