"""Program as code: import validation, upsert by codes, all-or-nothing, export round trip, commands."""

import copy
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Gift, GiftCategory
from loyalty.programfile.exporter import program_export
from loyalty.programfile.importer import ProgramFileError, program_import, program_import_report
from members.models import Segment
from programs.models import EventType, Program, Tier
from programs.services import tier_save
from rewards.models import NotificationSettings, NotificationText, Promotion
from tests.factories import ProgramFactory, SegmentFactory

pytestmark = pytest.mark.django_db

LINKS = Promotion.segments.through
TIER_LINKS = Promotion.tiers.through


def full_document(code: str = "ACME") -> dict:
    """Every kind of object, every key given; a child category is listed before its parent on purpose."""
    return {
        "code": code,
        "name": "Acme Points",
        "currency": "EUR",
        "languages": ["en", "fr"],
        "default_language": "en",
        "timezone": "Europe/Brussels",
        "points": {"expiry_months": 24, "pending_days": 14, "allow_negative_balance": True, "tier_window_months": 6},
        "tiers": [
            {"code": "SILVER", "name": {"en": "Silver", "fr": "Argent"}, "threshold": 1000},
            {"code": "GOLD", "name": {"en": "Gold"}, "threshold": 5000},
        ],
        "segments": [
            {"code": "STUDENTS", "name": {"en": "Students", "fr": "Étudiants"}},
            {"code": "VIP", "name": {"en": "VIP customers"}},
        ],
        "categories": [
            {"code": "COFFEE", "name": {"en": "Coffee"}, "parent": "KITCHEN", "active": True, "position": 2},
            {"code": "HOME", "name": {"en": "Home", "fr": "Maison"}, "parent": None, "active": True, "position": 0},
            {"code": "KITCHEN", "name": {"en": "Kitchen"}, "parent": "HOME", "active": False, "position": 1},
        ],
        "gifts": [
            {
                "sku": "EBOOK",
                "category": None,
                "type": "digital",
                "points": 1000,
                "value": "12.00",
                "stock": None,
                "validated": False,
                "valid_from": "2026-01-01T00:00:00+01:00",
                "valid_until": "2027-01-01T00:00:00+01:00",
                "images": [],
                "name": {"en": "E-book"},
                "description": {},
                "voucher_valid_days": None,
            },
            {
                "sku": "MUG",
                "category": "COFFEE",
                "type": "physical",
                "points": 500,
                "value": "8.00",
                "stock": 100,
                "validated": True,
                "valid_from": None,
                "valid_until": None,
                "images": ["https://cdn.example.com/mug.jpg", "/media/gifts/mug-2.jpg"],
                "name": {"en": "Mug", "fr": "Tasse"},
                "description": {"en": "A mug."},
                "voucher_valid_days": None,
            },
            {
                "sku": "V10",
                "category": "HOME",
                "type": "voucher",
                "points": 1000,
                "value": "10.00",
                "stock": None,
                "validated": True,
                "valid_from": None,
                "valid_until": None,
                "images": [],
                "name": {"en": "10 EUR voucher"},
                "description": {"en": "For the webshop.", "fr": "Pour la boutique."},
                "voucher_valid_days": 90,
            },
        ],
        "event_types": [
            {
                "code": "SURVEY",
                "name": {"en": "Survey answered"},
                "points": 50,
                "limits": {"per_day": 1, "lifetime": 10},
                "active": True,
            },
        ],
        "promotions": [
            promotion("BASE", "spend", rate="1"),
            promotion(
                "BIG",
                "basket",
                threshold="75.00",
                points=100,
                channels=["store"],
                starts_at="2026-11-01T00:00:00+01:00",
                ends_at="2026-12-01T00:00:00+01:00",
            ),
            promotion("MILK", "quantity", points=5, products=["MILK-1L"], max_points=50, status="paused"),
            promotion("ORGANIC", "spend", rate="0.25", product_categories=["organic"], min_amount="10.00"),
            promotion(
                "VIP-X2",
                "multiplier",
                factor="2",
                segments=["STUDENTS", "VIP"],
                tiers=["GOLD", "SILVER"],
                status="draft",
            ),
        ],
        "notifications": {
            "send": {
                "voucher_issued": True,
                "redemption_shipped": False,
                "redemption_delivered": True,
                "points_expiring": True,
                "welcome": True,
            },
            "texts": [
                {
                    "kind": "voucher_issued",
                    "language": "en",
                    "subject": "Your {gift} voucher",
                    "text_body": "{greeting}\n\nYour code:\n\n{code}",
                    "html_body": "<p>{greeting}</p><p>Your code: <strong>{code}</strong></p>",
                },
                {
                    "kind": "voucher_issued",
                    "language": "fr",
                    "subject": "Votre bon pour {gift}",
                    "text_body": "{greeting}\n\nVotre code :\n\n{code}",
                    "html_body": "",
                },
                {
                    "kind": "welcome",
                    "language": "en",
                    "subject": "Welcome to {program}",
                    "text_body": "{greeting}\n\nWelcome to {program}.",
                    "html_body": "",
                },
            ],
        },
    }


def promotion(code: str, kind: str, **values) -> dict:
    keys = {k: values.pop(k) for k in ("rate", "points", "threshold", "factor") if k in values}
    return {
        "code": code,
        "name": {"en": f"Promotion {code}"},
        "kind": kind,
        **keys,
        "status": values.pop("status", "live"),
        "products": values.pop("products", []),
        "product_categories": values.pop("product_categories", []),
        "segments": values.pop("segments", []),
        "tiers": values.pop("tiers", []),
        "channels": values.pop("channels", []),
        "starts_at": values.pop("starts_at", None),
        "ends_at": values.pop("ends_at", None),
        "min_amount": values.pop("min_amount", None),
        "max_points": values.pop("max_points", None),
    }


def table_counts() -> dict[str, int]:
    models = (
        Program,
        Tier,
        Segment,
        GiftCategory,
        Gift,
        EventType,
        Promotion,
        LINKS,
        TIER_LINKS,
        NotificationSettings,
        NotificationText,
    )
    return {model.__name__: model.objects.count() for model in models}


def refused(data: dict) -> list[str]:
    with pytest.raises(ProgramFileError) as info:
        program_import(data=data)
    return info.value.errors


# ---- import --------------------------------------------------------------------------------------------------


def test_import_creates_every_kind_of_object():
    result = program_import_report(data=full_document())

    program = Program.objects.get(code="ACME")
    assert result.program == program and result.program_created
    assert (program.name, program.currency, program.languages, program.timezone) == (
        "Acme Points",
        "EUR",
        ["en", "fr"],
        "Europe/Brussels",
    )
    assert (program.expiry_months, program.pending_days, program.allow_negative_balance) == (24, 14, True)
    assert set(Segment.objects.filter(program=program).values_list("code", flat=True)) == {"STUDENTS", "VIP"}

    coffee = GiftCategory.objects.get(program=program, code="COFFEE")
    assert coffee.parent.code == "KITCHEN" and coffee.parent.parent.code == "HOME" and coffee.position == 2
    assert GiftCategory.objects.get(program=program, code="KITCHEN").active is False

    mug = Gift.objects.get(program=program, sku="MUG")
    assert mug.category == coffee and mug.stock == 100 and mug.value == Decimal("8.00")
    assert mug.images == ["https://cdn.example.com/mug.jpg", "/media/gifts/mug-2.jpg"]
    assert mug.name == {"en": "Mug", "fr": "Tasse"}
    voucher = Gift.objects.get(program=program, sku="V10")
    assert (voucher.type, voucher.voucher_valid_days, voucher.stock) == ("voucher", 90, None)
    ebook = Gift.objects.get(program=program, sku="EBOOK")
    assert ebook.category is None and ebook.validated is False
    assert ebook.valid_from == datetime.datetime(2025, 12, 31, 23, 0, tzinfo=datetime.UTC)

    survey = EventType.objects.get(program=program, code="SURVEY")
    assert (survey.points, survey.per_day_limit, survey.lifetime_limit) == (50, 1, 10)

    promotions = {p.code: p for p in Promotion.objects.filter(program=program)}
    assert promotions["BASE"].rate == Decimal("1") and promotions["BASE"].points is None
    assert promotions["ORGANIC"].rate == Decimal("0.25") and promotions["ORGANIC"].min_amount == Decimal("10.00")
    assert (promotions["BIG"].threshold, promotions["BIG"].points, promotions["BIG"].channels) == (
        Decimal("75.00"),
        100,
        ["store"],
    )
    assert (promotions["MILK"].points, promotions["MILK"].max_points, promotions["MILK"].status) == (5, 50, "paused")
    assert promotions["VIP-X2"].factor == Decimal("2")
    assert sorted(promotions["VIP-X2"].segments.values_list("code", flat=True)) == ["STUDENTS", "VIP"]
    assert {p.version for p in promotions.values()} == {1}
    assert result.counts["gifts"] == {"created": 3, "updated": 0, "unchanged": 0}


def test_optional_keys_take_the_model_defaults():
    program = program_import(
        data={
            "code": "MINI",
            "name": "Mini",
            "currency": "USD",
            "languages": ["en"],
            "default_language": "en",
            "segments": [{"code": "ALL"}],
            "categories": [{"code": "TOP"}],
            "gifts": [{"sku": "PEN", "points": 10}],
            "event_types": [{"code": "VISIT", "points": 5}],
            "promotions": [{"code": "P", "kind": "spend", "rate": "2"}],
        }
    )
    assert program.timezone == "UTC" and program.expiry_months is None and program.allow_negative_balance is False
    gift = Gift.objects.get(program=program, sku="PEN")
    assert (gift.type, gift.stock, gift.validated, gift.value, gift.category) == ("physical", None, False, 0, None)
    promo = Promotion.objects.get(program=program, code="P")
    assert (promo.status, promo.products, promo.segments.count()) == ("draft", [], 0)
    assert EventType.objects.get(program=program).per_day_limit is None


def test_reimport_updates_adds_and_bumps_only_changed_promotions():
    program_import(data=full_document())
    before = table_counts()
    data = full_document()
    data["promotions"][0]["rate"] = "1.5"  # BASE changes
    data["promotions"][4]["segments"] = ["VIP"]  # VIP-X2: only its segments change
    data["promotions"][3]["rate"] = "0.2500"  # ORGANIC: the same number written differently
    data["gifts"][1]["stock"] = None  # the file's stock wins, even unlimited
    data["categories"][1]["name"]["fr"] = "Chez soi"
    data["gifts"].append({"sku": "PEN", "category": "HOME", "points": 20, "name": {"en": "Pen"}})
    data["segments"].append({"code": "NEW", "name": {"en": "Newcomers"}})

    rules_version = Program.objects.get(code="ACME").rules_version

    result = program_import_report(data=data)

    assert not result.program_created
    assert result.program.rules_version == rules_version + 1  # cached rule sets reload
    links = before["Promotion_segments"] - 1  # VIP-X2 left STUDENTS
    assert table_counts() == before | {"Gift": 4, "Segment": 3, "Promotion_segments": links}
    versions = dict(Promotion.objects.values_list("code", "version"))
    assert versions == {"BASE": 2, "BIG": 1, "MILK": 1, "ORGANIC": 1, "VIP-X2": 2}
    assert Promotion.objects.get(code="BASE").rate == Decimal("1.5")
    assert list(Promotion.objects.get(code="VIP-X2").segments.values_list("code", flat=True)) == ["VIP"]
    assert Gift.objects.get(sku="MUG").stock is None
    assert GiftCategory.objects.get(code="HOME").name == {"en": "Home", "fr": "Chez soi"}
    assert result.counts["promotions"] == {"created": 0, "updated": 2, "unchanged": 3}
    assert result.counts["gifts"] == {"created": 1, "updated": 1, "unchanged": 2}
    assert result.counts["categories"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert result.counts["segments"] == {"created": 1, "updated": 0, "unchanged": 2}


def test_reimport_of_the_same_file_changes_nothing():
    program_import(data=full_document())
    program = Program.objects.get(code="ACME")
    exported = program_export(program=program)

    result = program_import_report(data=full_document())

    assert all(count["created"] == count["updated"] == 0 for count in result.counts.values())
    assert Program.objects.get(code="ACME").rules_version == program.rules_version
    assert set(Promotion.objects.values_list("version", flat=True)) == {1}
    assert program_export(program=result.program) == exported


def test_a_partial_file_updates_what_it_contains_and_deletes_nothing():
    program_import(data=full_document())
    before = table_counts()

    program_import(data={"code": "ACME", "promotions": [{"code": "VIP-X2", "kind": "multiplier", "status": "live"}]})

    assert table_counts() == before
    vip = Promotion.objects.get(code="VIP-X2")
    assert (vip.status, vip.version, vip.factor) == ("live", 2, Decimal("2"))
    assert sorted(vip.segments.values_list("code", flat=True)) == ["STUDENTS", "VIP"]  # omitted: kept
    assert Program.objects.get(code="ACME").pending_days == 14


def test_a_promotion_changing_kind_drops_the_keys_of_its_old_kind():
    program_import(data=full_document())

    program_import(data={"code": "ACME", "promotions": [{"code": "BIG", "kind": "quantity", "points": 3}]})

    big = Promotion.objects.get(code="BIG")
    assert (big.kind, big.points, big.threshold, big.version) == ("quantity", 3, None, 2)
    exported = next(p for p in program_export(program=big.program)["promotions"] if p["code"] == "BIG")
    assert "threshold" not in exported and exported["points"] == 3


def test_references_may_point_to_rows_already_in_the_program():
    program = ProgramFactory(code="ACME", languages=["en", "fr"])
    SegmentFactory(program=program, code="OLD")
    program_import(data=full_document())

    program_import(
        data={
            "code": "ACME",
            "categories": [{"code": "SUB", "parent": "KITCHEN"}],
            "gifts": [{"sku": "SPOON", "category": "SUB", "points": 30}],
            "promotions": [promotion("SEG", "spend", rate="1", segments=["OLD", "VIP"])],
        }
    )

    assert GiftCategory.objects.get(code="SUB").parent.code == "KITCHEN"
    assert sorted(Promotion.objects.get(code="SEG").segments.values_list("code", flat=True)) == ["OLD", "VIP"]


def test_import_uses_a_constant_number_of_queries():
    def queries(gift_count: int) -> int:
        data = full_document(code=f"Q{gift_count}")
        data["gifts"] = [{"sku": f"G{i}", "category": "HOME", "points": 10 + i} for i in range(gift_count)]
        program_import(data=data)
        for gift in data["gifts"]:  # every row changes on the second import
            gift["points"] += 1
        with CaptureQueriesContext(connection) as context:
            program_import(data=data)
        return len(context.captured_queries)

    assert queries(5) == queries(60) <= 25


# ---- export and round trip ------------------------------------------------------------------------------------


def test_export_writes_every_key_sorted_by_code():
    program_import(data=full_document())

    exported = program_export(program=Program.objects.get(code="ACME"))

    assert exported == full_document()
    assert [c["code"] for c in exported["categories"]] == ["COFFEE", "HOME", "KITCHEN"]


def test_minimal_import_exports_with_every_key_explicit():
    program_import(data={**full_document(), "gifts": [{"sku": "PEN", "points": 10}]})

    gift = program_export(program=Program.objects.get(code="ACME"))["gifts"][0]

    assert gift == {
        "sku": "PEN",
        "category": None,
        "type": "physical",
        "points": 10,
        "value": "0.00",
        "stock": None,
        "validated": False,
        "valid_from": None,
        "valid_until": None,
        "images": [],
        "name": {},
        "description": {},
        "voucher_valid_days": None,
    }


def test_export_import_export_round_trip_into_a_fresh_program():
    program_import(data=full_document())
    first = program_export(program=Program.objects.get(code="ACME"))

    program_import(data={**copy.deepcopy(first), "code": "COPY"})
    second = program_export(program=Program.objects.get(code="COPY"))

    assert {**second, "code": "ACME"} == first
    assert json.dumps({**second, "code": "ACME"}, indent=2) == json.dumps(first, indent=2)


def test_exported_timestamps_are_in_the_program_timezone():
    data = full_document()
    data["promotions"][1]["starts_at"] = "2026-10-31T23:00:00Z"
    program_import(data=data)

    exported = program_export(program=Program.objects.get(code="ACME"))

    assert exported["promotions"][1]["starts_at"] == "2026-11-01T00:00:00+01:00"


# ---- refusals: paths, all errors at once, nothing written --------------------------------------------------------


def test_a_bad_new_program_is_refused_with_its_path_and_nothing_is_written():
    data = full_document()
    data["promotions"][3]["rate"] = "-1"
    before = table_counts()

    assert refused(data) == ["promotions[3].rate: must be a positive decimal"]
    assert table_counts() == before


def test_a_bad_update_changes_nothing_at_all():
    program_import(data=full_document())
    before, exported = table_counts(), program_export(program=Program.objects.get(code="ACME"))
    data = full_document()
    data["name"] = "Renamed"
    data["segments"].append({"code": "NEW"})
    data["gifts"][1]["stock"] = 3
    data["promotions"][0]["rate"] = "5"
    data["promotions"].append(promotion("LATE", "multiplier", factor="1"))

    assert refused(data) == ['promotions[5].factor: must be a decimal > 1, like "2"']
    assert table_counts() == before
    assert program_export(program=Program.objects.get(code="ACME")) == exported
    assert set(Promotion.objects.values_list("version", flat=True)) == {1}


def test_unknown_keys_are_refused_at_every_level():
    data = full_document()
    data["colour"] = "red"
    data["points"]["bonus"] = 1
    data["segments"][0]["size"] = 3
    data["categories"][2]["icon"] = "x"
    data["gifts"][0]["weight"] = "1kg"
    data["event_types"][0]["limits"]["per_week"] = 2
    data["promotions"][2]["version"] = 7

    assert sorted(refused(data)) == sorted(
        [
            "colour: unknown key",
            "points.bonus: unknown key",
            "segments[0].size: unknown key",
            "categories[2].icon: unknown key",
            "gifts[0].weight: unknown key",
            "event_types[0].limits.per_week: unknown key",
            "promotions[2].version: unknown key",
        ]
    )


def test_another_kinds_key_is_refused_with_its_path():
    data = full_document()
    data["promotions"][2]["rate"] = "1"  # MILK is a quantity promotion
    data["promotions"][0]["factor"] = "2"  # BASE is a spend promotion

    assert refused(data) == [
        "promotions[0].factor: not a key of a spend promotion (only of multiplier)",
        "promotions[2].rate: not a key of a quantity promotion (only of spend)",
    ]


def test_a_new_promotion_needs_every_key_of_its_kind():
    data = full_document()
    data["promotions"].append({"code": "B2", "kind": "basket", "points": 10})
    data["promotions"].append({"code": "NOKIND", "rate": "1"})

    assert refused(data) == ["promotions[6].kind: required", "promotions[5].threshold: required"]


def test_several_errors_are_reported_together():
    data = full_document()
    data["currency"] = "eur"
    data["timezone"] = "Mars/Olympus"
    data["default_language"] = "nl"
    data["segments"][1]["name"] = {"de": "VIP-Kunden"}
    data["categories"][0]["parent"] = "NOWHERE"
    data["gifts"][1]["points"] = 0
    data["gifts"][1]["category"] = "MISSING"
    data["gifts"][2]["stock"] = -1
    data["gifts"][0]["valid_until"] = "2025-01-01T00:00:00+01:00"
    data["event_types"][0]["points"] = "50"
    data["promotions"][1]["ends_at"] = "2026-10-01T00:00:00+01:00"
    data["promotions"][4]["segments"] = ["VIP", "GHOSTS"]

    assert refused(data) == [
        "currency: must be an ISO 4217 code of three capital letters, like EUR",
        "timezone: must be an IANA time zone name, like Europe/Brussels",
        "default_language: default_language 'nl' must be one of languages (en, fr)",
        "segments[1].name.de: language not among the program's languages (en, fr)",
        "gifts[1].points: must be a positive integer",
        "gifts[2].stock: must be an integer >= 0 or null",
        "event_types[0].points: must be a positive integer",
        "categories[0].parent: no category 'NOWHERE' in the file or the program",
        "gifts[0].valid_until: valid_from must be before valid_until",
        "gifts[1].category: no category 'MISSING' in the file or the program",
        "promotions[1].ends_at: starts_at must be before ends_at",
        "promotions[4].segments[1]: no segment 'GHOSTS' in the file or the program",
    ]
    assert Program.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        ("gifts.1.points", "500", "gifts[1].points: must be a positive integer"),
        ("gifts.1.points", 500.0, "gifts[1].points: must be a positive integer"),
        ("gifts.1.points", True, "gifts[1].points: must be a positive integer"),
        ("gifts.1.value", 8.0, 'gifts[1].value: must be a money string like "12.50", >= 0'),
        ("gifts.1.value", "8.001", 'gifts[1].value: must be a money string like "12.50", >= 0'),
        ("gifts.1.validated", 1, "gifts[1].validated: must be true or false"),
        ("gifts.1.images", ["ftp://x/y.png"], "gifts[1].images[0]: must be an http(s) URL or a path starting with /"),
        (
            "gifts.1.voucher_valid_days",
            30,
            "gifts[1].voucher_valid_days: voucher_valid_days is only for voucher gifts (null otherwise)",
        ),
        ("gifts.1.type", "service", "gifts[1].type: must be one of physical, voucher, digital"),
        ("gifts.1.sku", "has space", "gifts[1].sku: must be a code of 1-64 characters among A-Z a-z 0-9 . _ : -"),
        ("gifts.1.name", "Mug", 'gifts[1].name: must be a JSON object {language: text}, like {"en": "Mug"}'),
        ("gifts.1.name", {"en": ""}, "gifts[1].name.en: must be a non-empty string"),
        ("promotions.0.rate", 1, "promotions[0].rate: must be a positive decimal"),
        ("promotions.0.rate", "0", "promotions[0].rate: must be a positive decimal"),
        (
            "promotions.0.starts_at",
            "2026-11-01T00:00:00",
            "promotions[0].starts_at: must be an ISO 8601 timestamp with offset, like 2026-11-25T10:31:00+01:00 or null",
        ),
        ("promotions.0.status", "active", "promotions[0].status: must be one of draft, live, paused"),
        ("promotions.0.products", "COF-250", "promotions[0].products: must be a JSON list"),
        ("promotions.0.channels", ["web", "web"], "promotions[0].channels[1]: duplicate value 'web'"),
        ("promotions.1.threshold", None, 'promotions[1].threshold: must be a money string like "12.50", >= 0'),
        ("promotions.2.max_points", 0, "promotions[2].max_points: must be a positive integer or null"),
        (
            "promotions.3.min_amount",
            "-5.00",
            'promotions[3].min_amount: must be a money string like "12.50", >= 0 or null',
        ),
        ("event_types.0.limits.per_day", 0, "event_types[0].limits.per_day: must be a positive integer or null"),
        ("points.expiry_months", 0, "points.expiry_months: must be a positive integer or null"),
        ("points.pending_days", -1, "points.pending_days: must be an integer >= 0"),
        ("languages", [], "languages: must be a non-empty JSON list"),
        ("languages", ["en", "xx"], "languages[1]: must be a known language code, like en or fr"),
        ("segments", {"VIP": {}}, "segments: must be a JSON list"),
        ("categories.0", "COFFEE", "categories[0]: must be a JSON object"),
    ],
)
def test_values_are_checked_strictly(path: str, value, error: str):
    data = full_document()
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value

    assert error in refused(data)


@pytest.mark.parametrize(
    ("key", "value"),
    [("expiry_months", 32_768), ("expiry_months", 10**9), ("pending_days", 32_768), ("pending_days", 2**40)],
)
def test_program_numbers_beyond_their_column_are_refused_with_their_path(key, value):
    """Refused with the path, before any write (the database's bound used to answer with an IntegrityError)."""
    data = full_document()
    data["points"][key] = value
    before = table_counts()

    assert refused(data) == [f"points.{key}: must be at most 32767" + (" or null" if key == "expiry_months" else "")]
    assert table_counts() == before
    data["points"][key] = 32_767
    program_import(data=data)
    assert getattr(Program.objects.get(code="ACME"), key) == 32_767


def test_strings_that_no_column_can_hold_are_refused_with_their_path():
    """NUL and lone surrogates (which `json.load` reads from `\\u0000` and `\\ud800`) in values or keys, at any
    depth, the program's code included: a path and nothing written, never a database error."""
    program_import(data=full_document())
    before = table_counts()
    data = full_document()
    data["segments"][0]["name"]["en"] = "Stu\x00dents"
    data["gifts"][1]["description"]["fr"] = "Une tasse \ud800"
    data["promotions"][0]["channels"] = ["web\x00"]
    data["categories"][0]["name\x00"] = {"en": "x"}

    assert refused(data) == [
        "categories[0]: a key must not contain NUL or unpaired surrogate characters",
        "gifts[1].description.fr: must not contain NUL or unpaired surrogate characters",
        "promotions[0].channels[0]: must not contain NUL or unpaired surrogate characters",
        "segments[0].name.en: must not contain NUL or unpaired surrogate characters",
    ]
    assert refused({"code": "AC\x00ME"}) == ["code: must not contain NUL or unpaired surrogate characters"]
    assert table_counts() == before


def test_codes_must_be_unique_and_required():
    data = full_document()
    data["gifts"].append({"sku": "MUG", "points": 1})
    data["segments"].append({"name": {"en": "Nameless"}})
    data["event_types"].append({"code": "NEW"})

    assert refused(data) == [
        "segments[2].code: required",
        "gifts[3].sku: duplicate of gifts[1]",
        "event_types[1].points: required",
    ]


def test_a_new_program_needs_its_identity_and_a_document_must_be_an_object():
    assert refused({"code": "NEW"}) == [
        "name: required",
        "currency: required",
        "languages: required",
        "default_language: required",
    ]
    assert refused([]) == ["document: must be a JSON object"]


def test_category_cycles_are_refused_also_through_stored_categories():
    program_import(data=full_document())
    data = {
        "code": "ACME",
        "categories": [
            {"code": "HOME", "parent": "COFFEE"},  # COFFEE -> KITCHEN -> HOME is stored
            {"code": "SELF", "parent": "SELF"},
        ],
    }

    assert refused(data) == [
        "categories[0].parent: makes a cycle HOME -> COFFEE -> KITCHEN -> HOME",
        "categories[1].parent: makes a cycle SELF -> SELF",
    ]


def test_languages_cannot_drop_the_stored_default_language():
    program_import(data=full_document())

    assert refused({"code": "ACME", "languages": ["fr"]}) == [
        "languages: default_language 'en' must be one of languages (fr)"
    ]


# ---- tiers ----------------------------------------------------------------------------------------------------


def test_import_creates_tiers_the_tier_window_and_promotion_tiers():
    program = program_import(data=full_document())

    assert program.tier_window_months == 6
    tiers = list(Tier.objects.filter(program=program).order_by("position"))
    assert [(t.code, t.threshold, t.position) for t in tiers] == [("SILVER", 1000, 1), ("GOLD", 5000, 2)]
    assert tiers[0].name == {"en": "Silver", "fr": "Argent"}
    vip = Promotion.objects.get(program=program, code="VIP-X2")
    assert sorted(vip.tiers.values_list("code", flat=True)) == ["GOLD", "SILVER"]
    assert Promotion.objects.get(program=program, code="BASE").tiers.count() == 0


def test_tiers_are_optional_and_the_window_takes_its_default():
    data = full_document()
    del data["tiers"], data["points"]["tier_window_months"]
    for entry in data["promotions"]:
        del entry["tiers"]

    program = program_import(data=data)

    assert program.tier_window_months == 12 and not Tier.objects.filter(program=program).exists()
    exported = program_export(program=program)
    assert exported["tiers"] == [] and exported["points"]["tier_window_months"] == 12
    assert {tuple(p["tiers"]) for p in exported["promotions"]} == {()}


def test_round_trip_with_tiers_the_window_and_promotion_tiers():
    program_import(data=full_document())
    first = program_export(program=Program.objects.get(code="ACME"))
    assert first["tiers"] == full_document()["tiers"]  # lowest threshold first
    assert first["points"]["tier_window_months"] == 6
    assert first["promotions"][4]["tiers"] == ["GOLD", "SILVER"]

    program_import(data={**copy.deepcopy(first), "code": "COPY"})

    assert json.dumps({**program_export(program=Program.objects.get(code="COPY")), "code": "ACME"}) == json.dumps(first)


def test_reimport_updates_tiers_by_code_renumbers_them_and_reloads_the_rules():
    program_import(data=full_document())
    rules_version = Program.objects.get(code="ACME").rules_version
    data = {
        "code": "ACME",
        "points": {"tier_window_months": 24},
        "tiers": [
            {"code": "GOLD", "threshold": 500},  # now below SILVER; its name is kept
            {"code": "PLATINUM", "name": {"en": "Platinum"}, "threshold": 20000},
        ],
    }

    result = program_import_report(data=data)

    program = result.program
    assert program.tier_window_months == 24
    assert program.rules_version > rules_version
    tiers = Tier.objects.filter(program=program).order_by("position")
    assert [(t.code, t.threshold, t.position) for t in tiers] == [
        ("GOLD", 500, 1),
        ("SILVER", 1000, 2),  # omitted from the file: kept
        ("PLATINUM", 20000, 3),
    ]
    assert Tier.objects.get(program=program, code="GOLD").name == {"en": "Gold"}
    assert result.counts["tiers"] == {"created": 1, "updated": 1, "unchanged": 0}
    vip = Promotion.objects.get(code="VIP-X2")  # omitted: its tiers are kept
    assert (sorted(vip.tiers.values_list("code", flat=True)), vip.version) == (["GOLD", "SILVER"], 1)


def test_tiers_may_trade_thresholds_in_one_file():
    program_import(data=full_document())
    data = {
        "code": "ACME",
        "tiers": [
            {"code": "SILVER", "threshold": 5000},
            {"code": "GOLD", "threshold": 1000},
            {"code": "BRONZE", "name": {"en": "Bronze"}, "threshold": 0},
        ],
    }

    program_import(data=data)

    tiers = Tier.objects.filter(program__code="ACME").order_by("position")
    assert [(t.code, t.threshold, t.position) for t in tiers] == [
        ("BRONZE", 0, 1),
        ("GOLD", 1000, 2),
        ("SILVER", 5000, 3),
    ]


def test_a_promotions_tiers_take_the_files_value_and_bump_its_version():
    program_import(data=full_document())
    rules_version = Program.objects.get(code="ACME").rules_version
    data = full_document()
    data["promotions"][4]["tiers"] = ["GOLD"]
    data["promotions"][0]["tiers"] = ["SILVER"]

    result = program_import_report(data=data)

    assert result.program.rules_version == rules_version + 1
    versions = dict(Promotion.objects.values_list("code", "version"))
    assert versions == {"BASE": 2, "BIG": 1, "MILK": 1, "ORGANIC": 1, "VIP-X2": 2}
    assert list(Promotion.objects.get(code="VIP-X2").tiers.values_list("code", flat=True)) == ["GOLD"]
    assert list(Promotion.objects.get(code="BASE").tiers.values_list("code", flat=True)) == ["SILVER"]
    assert result.counts["promotions"] == {"created": 0, "updated": 2, "unchanged": 3}
    assert result.counts["tiers"] == {"created": 0, "updated": 0, "unchanged": 2}


def test_promotion_tiers_may_name_tiers_already_in_the_program():
    program = ProgramFactory(code="ACME", languages=["en", "fr"])
    tier_save(program=program, code="OLD", name={"en": "Old"}, threshold=50)

    program_import(data=full_document())

    program_import(data={"code": "ACME", "promotions": [promotion("T", "spend", rate="1", tiers=["OLD", "GOLD"])]})
    assert sorted(Promotion.objects.get(code="T").tiers.values_list("code", flat=True)) == ["GOLD", "OLD"]
    assert list(Tier.objects.filter(program=program).values_list("code", "position")) == [
        ("OLD", 1),
        ("SILVER", 2),
        ("GOLD", 3),
    ]


def test_an_unknown_promotion_tier_is_refused_with_its_path():
    data = full_document()
    data["promotions"][3]["tiers"] = ["GOLD", "DIAMOND"]
    data["promotions"][0]["tiers"] = ["gold"]

    assert refused(data) == [
        "promotions[0].tiers[0]: no tier 'gold' in the file or the program",
        "promotions[3].tiers[1]: no tier 'DIAMOND' in the file or the program",
    ]
    assert Program.objects.count() == 0


def test_duplicate_tier_codes_and_thresholds_are_refused_with_their_paths():
    data = full_document()
    data["tiers"].append({"code": "SILVER", "threshold": 9000})
    data["tiers"].append({"code": "PLATINUM", "threshold": 5000})

    assert refused(data) == [
        "tiers[2].code: duplicate of tiers[0]",
        "tiers[3].threshold: duplicate of tiers[1]",
    ]
    assert Tier.objects.count() == 0


def test_a_threshold_taken_by_a_stored_tier_is_refused():
    program_import(data=full_document())
    before = table_counts()

    data = {"code": "ACME", "tiers": [{"code": "BRONZE", "threshold": 1000}, {"code": "GOLD", "threshold": 1000}]}
    assert refused(data) == [
        "tiers[0].threshold: 1000 is the threshold of the program's tier 'SILVER'",
        "tiers[1].threshold: 1000 is the threshold of the program's tier 'SILVER'",
    ]
    # A stored tier the file names without a threshold keeps its own.
    data = {"code": "ACME", "tiers": [{"code": "GOLD", "name": {"en": "Gold!"}}, {"code": "NEW", "threshold": 5000}]}
    assert refused(data) == ["tiers[1].threshold: 5000 is the threshold of the program's tier 'GOLD'"]
    assert table_counts() == before


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        ("tiers.1.threshold", -1, "tiers[1].threshold: must be an integer >= 0"),
        ("tiers.1.threshold", True, "tiers[1].threshold: must be an integer >= 0"),
        ("tiers.1.threshold", "5000", "tiers[1].threshold: must be an integer >= 0"),
        ("tiers.1.threshold", 5000.0, "tiers[1].threshold: must be an integer >= 0"),
        ("tiers.1.threshold", None, "tiers[1].threshold: must be an integer >= 0"),
        ("tiers.0.code", "SIL VER", "tiers[0].code: must be a code of 1-64 characters among A-Z a-z 0-9 . _ : -"),
        ("tiers.0.name", {"de": "Silber"}, "tiers[0].name.de: language not among the program's languages (en, fr)"),
        ("tiers.0.position", 1, "tiers[0].position: unknown key"),
        ("tiers", {"SILVER": 1000}, "tiers: must be a JSON list"),
        ("points.tier_window_months", 0, "points.tier_window_months: must be an integer from 1 to 120"),
        ("points.tier_window_months", 121, "points.tier_window_months: must be an integer from 1 to 120"),
        ("points.tier_window_months", True, "points.tier_window_months: must be an integer from 1 to 120"),
        ("points.tier_window_months", None, "points.tier_window_months: must be an integer from 1 to 120"),
        ("promotions.4.tiers", "GOLD", "promotions[4].tiers: must be a JSON list"),
        ("promotions.4.tiers", ["GOLD", "GOLD"], "promotions[4].tiers[1]: duplicate value 'GOLD'"),
    ],
)
def test_tier_values_are_checked_strictly(path: str, value, error: str):
    data = full_document()
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value

    assert error in refused(data)


def test_a_new_tier_needs_its_threshold():
    data = full_document()
    data["tiers"].append({"code": "PLATINUM", "name": {"en": "Platinum"}})

    assert refused(data) == ["tiers[2].threshold: required"]


# ---- commands --------------------------------------------------------------------------------------------------


def test_import_program_command_prints_a_summary(tmp_path):
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(full_document()), encoding="utf-8")
    out = io.StringIO()

    call_command("import_program", str(path), stdout=out)
    call_command("import_program", str(path), stdout=out)

    text = out.getvalue()
    assert "Program ACME created." in text and "Program ACME updated." in text
    assert "gifts: 3 created, 0 updated, 0 unchanged" in text
    assert "tiers: 2 created, 0 updated, 0 unchanged" in text
    assert "gifts: 0 created, 0 updated, 3 unchanged" in text
    assert Gift.objects.count() == 3


def test_import_program_command_prints_every_error_and_writes_nothing(tmp_path):
    data = full_document()
    data["promotions"][3]["rate"] = "abc"
    data["gifts"][0]["colour"] = "blue"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 error"):
        call_command("import_program", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        "gifts[0].colour: unknown key",
        "promotions[3].rate: must be a positive decimal",
    ]
    assert Program.objects.count() == 0


def test_import_program_command_refuses_bad_json_and_missing_files(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"code": ', encoding="utf-8")

    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_program", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_program", str(tmp_path / "absent.json"))
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")  # deeper than Python's parser goes
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_program", str(path))


def test_export_program_command_prints_indented_json():
    program_import(data=full_document())
    out = io.StringIO()

    call_command("export_program", "ACME", stdout=out)

    assert json.loads(out.getvalue()) == full_document()
    assert out.getvalue().startswith('{\n  "code": "ACME",')


def test_export_program_command_refuses_an_unknown_code():
    with pytest.raises(CommandError, match="No program with code NOPE"):
        call_command("export_program", "NOPE")


def test_a_code_with_a_trailing_newline_is_refused():
    # `$` also matches before a final newline: codes are matched whole.
    data = full_document()
    data["segments"][0]["code"] += "\n"
    assert refused(data)[0] == "segments[0].code: must be a code of 1-64 characters among A-Z a-z 0-9 . _ : -"
