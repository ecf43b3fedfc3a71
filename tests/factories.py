"""factory-boy factories shared by the apps' tests."""

import factory

from catalog.models import Gift, GiftCategory
from members.models import Member, Segment
from programs.models import EventType, Program
from rewards.models import PointsBalance, Promotion


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.LazyAttribute(lambda o: f"Program {o.code}")
    currency = "EUR"
    languages = factory.LazyFunction(lambda: ["en", "fr", "nl", "it"])
    default_language = "en"
    timezone = "Europe/Brussels"
    expiry_months = None
    pending_days = 0
    allow_negative_balance = False


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    program = factory.SubFactory(ProgramFactory)
    member_id = factory.Sequence(lambda n: f"M-{n}")
    email = factory.LazyAttribute(lambda o: f"{o.member_id.lower()}@example.com")
    first_name = "Ann"
    last_name = "Peeters"
    language = "en"

    @factory.post_generation
    def with_balance(obj, create, extracted, **kwargs):
        if create:
            PointsBalance.objects.get_or_create(member=obj, defaults={"program": obj.program})


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    program = factory.SubFactory(ProgramFactory)
    code = factory.Sequence(lambda n: f"SEG{n}")
    name = factory.LazyAttribute(lambda o: {"en": f"Segment {o.code}"})


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GiftCategory

    program = factory.SubFactory(ProgramFactory)
    code = factory.Sequence(lambda n: f"CAT{n}")
    name = factory.LazyAttribute(lambda o: {"en": f"Category {o.code}", "fr": f"Catégorie {o.code}"})


class GiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Gift

    program = factory.SubFactory(ProgramFactory)
    category = factory.SubFactory(CategoryFactory, program=factory.SelfAttribute("..program"))
    sku = factory.Sequence(lambda n: f"GIFT-{n}")
    type = Gift.PHYSICAL
    points = 500
    value = "8.00"
    stock = None
    validated = True
    name = factory.LazyAttribute(lambda o: {"en": f"Gift {o.sku}", "fr": f"Cadeau {o.sku}"})
    description = factory.LazyAttribute(lambda o: {"en": f"About {o.sku}."})


class EventTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventType

    program = factory.SubFactory(ProgramFactory)
    code = factory.Sequence(lambda n: f"EVT{n}")
    name = factory.LazyAttribute(lambda o: {"en": f"Event {o.code}"})
    points = 50


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion

    program = factory.SubFactory(ProgramFactory)
    code = factory.Sequence(lambda n: f"PROMO{n}")
    name = factory.LazyAttribute(lambda o: {"en": f"Promotion {o.code}"})
    kind = Promotion.SPEND
    status = Promotion.LIVE
    rate = "1"
