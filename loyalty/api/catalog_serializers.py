"""Output shapes of the catalog endpoints: plain functions over loaded rows, no query of their own."""

from collections.abc import Callable
from decimal import Decimal

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from catalog.models import Gift
from catalog.selectors import CategoryNode, CategoryTree, gift_image_urls
from loyalty.api import enums
from loyalty.api.pagination import page_schema
from loyalty.api.schema import CurrencyField, MoneyOutputField
from programs.models import Program

CENT = Decimal("0.01")

CATEGORY = inline_serializer(
    name="GiftCategory",
    fields={
        "code": serializers.CharField(help_text="The category's code."),
        "name": serializers.CharField(help_text="In the requested language, else the program's default language."),
        "parent": serializers.CharField(allow_null=True, help_text="The parent category's code; null at the top."),
        "gift_count": serializers.IntegerField(
            min_value=0,
            help_text="Gifts that `GET /gifts` lists in this category and its sub-categories (out-of-stock included).",
        ),
    },
)
CATEGORY_PAGE = page_schema("GiftCategoryPage", CATEGORY)

GIFT = inline_serializer(
    name="Gift",
    fields={
        "sku": serializers.CharField(help_text="The gift's sku, for `GET /gifts/{sku}` and redemptions."),
        "name": serializers.CharField(help_text="In the requested language, else the program's default language."),
        "description": serializers.CharField(
            help_text="In the requested language, else the program's default language (may be empty)."
        ),
        "category": serializers.CharField(allow_null=True, help_text="The category's code."),
        "type": serializers.ChoiceField(
            choices=enums.GIFT_TYPES,
            help_text="`physical` (shipped), `voucher` (a webshop voucher code) or `digital`.",
        ),
        "points": serializers.IntegerField(min_value=0, help_text="The price of one unit, in points."),
        "value": MoneyOutputField(help_text='Money string with two decimals, e.g. "8.00".'),
        "currency": CurrencyField(help_text="The program's currency (ISO 4217)."),
        "stock": serializers.IntegerField(allow_null=True, min_value=0, help_text="Units left; null means unlimited."),
        "available": serializers.BooleanField(help_text="False when the stock is 0."),
        "images": serializers.ListField(child=serializers.CharField(), help_text="Absolute image URLs."),
        "valid_from": serializers.DateTimeField(
            allow_null=True, help_text="Start of the validity window (inclusive); null: no start."
        ),
        "valid_until": serializers.DateTimeField(allow_null=True, help_text="Exclusive end of the validity window."),
        "translations": serializers.DictField(
            child=inline_serializer(
                name="GiftTranslation",
                fields={
                    "name": serializers.CharField(help_text="The gift's name in that language."),
                    "description": serializers.CharField(help_text="The gift's description in that language."),
                },
            ),
            help_text="By language code, for every program language in which the gift has a name or a description; "
            "a text missing in that language falls back to the program's default language.",
        ),
    },
)
GIFT_PAGE = page_schema("GiftPage", GIFT)


def category_data(node: CategoryNode, *, program: Program, tree: CategoryTree, language: str, gift_count: int) -> dict:
    return {
        "code": node.code,
        "name": program.text(node.name, language),
        "parent": tree.code_of(node.parent_id),
        "gift_count": gift_count,
    }


def _texts(value) -> dict:
    return value if isinstance(value, dict) else {}


def gift_data(
    gift: Gift, *, program: Program, tree: CategoryTree, language: str, absolute: Callable[[str], str] = str
) -> dict:
    """`absolute` makes an image URL absolute (request.build_absolute_uri): uploaded pictures are stored as paths
    under MEDIA_URL, which a partner's system could not open."""
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
        "images": [absolute(url) for url in gift_image_urls(gift)],
        "valid_from": gift.valid_from.isoformat() if gift.valid_from else None,
        "valid_until": gift.valid_until.isoformat() if gift.valid_until else None,
        "translations": translations,
    }
