"""Output shapes of the catalog endpoints: plain functions over loaded rows, no query of their own."""

from decimal import Decimal

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from catalog.models import Gift
from catalog.selectors import CategoryNode, CategoryTree, gift_image_urls
from programs.models import Program

CENT = Decimal("0.01")

CATEGORY = inline_serializer(
    name="GiftCategory",
    fields={
        "code": serializers.CharField(),
        "name": serializers.CharField(help_text="In the requested language, else the program's default language."),
        "parent": serializers.CharField(allow_null=True, help_text="The parent category's code; null at the top."),
        "gift_count": serializers.IntegerField(
            help_text="Gifts that `GET /gifts` lists in this category and its sub-categories (out-of-stock included)."
        ),
    },
)
CATEGORY_PAGE = inline_serializer(
    name="GiftCategoryPage",
    fields={"results": serializers.ListField(child=CATEGORY), "next": serializers.CharField(allow_null=True)},
)

GIFT = inline_serializer(
    name="Gift",
    fields={
        "sku": serializers.CharField(),
        "name": serializers.CharField(help_text="In the requested language, else the program's default language."),
        "description": serializers.CharField(),
        "category": serializers.CharField(allow_null=True, help_text="The category's code."),
        "type": serializers.ChoiceField(choices=[c for c, _ in Gift.TYPES]),
        "points": serializers.IntegerField(),
        "value": serializers.CharField(help_text='Money string with two decimals, e.g. "8.00".'),
        "currency": serializers.CharField(help_text="The program's currency (ISO 4217)."),
        "stock": serializers.IntegerField(allow_null=True, help_text="Units left; null means unlimited."),
        "available": serializers.BooleanField(help_text="False when the stock is 0."),
        "images": serializers.ListField(child=serializers.CharField(), help_text="Image URLs."),
        "valid_from": serializers.DateTimeField(allow_null=True),
        "valid_until": serializers.DateTimeField(allow_null=True, help_text="Exclusive end of the validity window."),
        "translations": serializers.DictField(
            child=inline_serializer(
                name="GiftTranslation",
                fields={"name": serializers.CharField(), "description": serializers.CharField()},
            ),
            help_text="By language code, for every program language in which the gift has a name or a description; "
            "a text missing in that language falls back to the program's default language.",
        ),
    },
)
GIFT_PAGE = inline_serializer(
    name="GiftPage",
    fields={"results": serializers.ListField(child=GIFT), "next": serializers.CharField(allow_null=True)},
)


def category_data(node: CategoryNode, *, program: Program, tree: CategoryTree, language: str, gift_count: int) -> dict:
    return {
        "code": node.code,
        "name": program.text(node.name, language),
        "parent": tree.code_of(node.parent_id),
        "gift_count": gift_count,
    }


def _texts(value) -> dict:
    return value if isinstance(value, dict) else {}


def gift_data(gift: Gift, *, program: Program, tree: CategoryTree, language: str) -> dict:
    names, descriptions = _texts(gift.name), _texts(gift.description)
    translations = {
        lang: {"name": program.text(names, lang), "description": program.text(descriptions, lang)}
        for lang in program.languages
        if names.get(lang) or descriptions.get(lang)
    }
    return {
        "sku": gift.sku,
        "name": program.text(names, language),
        "description": program.text(descriptions, language),
        "category": tree.code_of(gift.category_id),
        "type": gift.type,
        "points": gift.points,
        "value": str(Decimal(gift.value).quantize(CENT)),
        "currency": program.currency,
        "stock": gift.stock,
        "available": gift.stock is None or gift.stock > 0,
        "images": gift_image_urls(gift),
        "valid_from": gift.valid_from.isoformat() if gift.valid_from else None,
        "valid_until": gift.valid_until.isoformat() if gift.valid_until else None,
        "translations": translations,
    }
