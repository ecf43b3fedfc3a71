"""The demo: a realistic program with members, an API client and an admin user, loaded idempotently.

`demo_load` brings the program and its members; the `load_demo` command then adds the API client, the
admin user and the ledger history (loyalty.demo.history, keyed by references derived from member ids).

A second run changes nothing the user may have touched since: the program file is applied only when the program
does not exist yet (stock, prices and promotions edited in the admin stay), members and history are only added
where missing, and the API client keeps its secret unless a rotation is asked for.
"""

import datetime
import json
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from catalog.models import Gift, GiftImage
from loyalty.backoffice.groups import PROGRAM_MANAGER, staff_groups_sync
from loyalty.programfile.importer import ImportResult, program_import_report
from loyalty.shop.login_links import login_url
from members.models import Member, Segment, SegmentMembership
from members.services import member_set_status
from programs.models import ApiClient, Program
from programs.services import api_client_create, api_client_rotate_secret
from rewards.services.enrolment import member_enrol

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_program.json"
NAMES_FILE = DEMO_FILE.with_name("names.json")
# One picture per demo gift, <sku>.png, drawn by loyalty/demo/pictures.py and committed.
PICTURES_DIR = DEMO_FILE.with_name("gifts")
DEMO_MEMBER_COUNT = 300
DEMO_CLIENT_NAME = "Demo till"
DEMO_SEED = 20261125  # fixed: the same members (names, segments) on every machine and every run
LANGUAGE_WEIGHTS = {"en": 15, "fr": 38, "nl": 38, "it": 9}
# Enrolment dates: member numbers follow enrolment order, the first about three years ago; the newcomers (the
# NEWCOMERS segment) joined within the last two months. Every other member joined before the window of their
# purchase history (loyalty.demo.history), and the webshop member before its oldest basket (about 705 days ago).
FIRST_ENROLMENT_DAYS = 1100
LAST_SETTLED_ENROLMENT_DAYS = 160
NEWCOMER_COUNT = 40
NEWCOMER_ENROLMENT_DAYS = (60, 5)
# Where the demo members live (by language), so physical gifts have a delivery address and the fulfilment CSV is
# complete; one member in twenty has none yet (the shop then asks for it at the confirm step).
DEMO_TOWNS = {
    "en": [("D02 X285", "Dublin", "IE"), ("T12 R2NN", "Cork", "IE")],
    "fr": [("1000", "Bruxelles", "BE"), ("4000", "Liège", "BE"), ("5000", "Namur", "BE"), ("7000", "Mons", "BE")],
    "nl": [("2000", "Antwerpen", "BE"), ("9000", "Gent", "BE"), ("3000", "Leuven", "BE"), ("8000", "Brugge", "BE")],
    "it": [("20121", "Milano", "IT"), ("00184", "Roma", "IT"), ("10121", "Torino", "IT")],
}
DEMO_STREETS = {
    "en": ["Main Street", "Harbour Road", "Church Lane"],
    "fr": ["Rue Neuve", "Avenue Louise", "Rue de la Station", "Place du Marché"],
    "nl": ["Kerkstraat", "Stationsstraat", "Molenweg", "Dorpsplein"],
    "it": ["Via Roma", "Corso Italia", "Via Garibaldi", "Piazza del Duomo"],
}


@dataclass(frozen=True)
class DemoMember:
    member_id: str
    first_name: str
    last_name: str
    email: str
    language: str
    birth_date: datetime.date
    segments: tuple[str, ...]
    blocked: bool
    enrolled_ago: datetime.timedelta  # how long before the load the member enrolled
    address: dict | None = None


@dataclass
class DemoData:
    program: Program
    imported: ImportResult | None  # None: the program existed, its file was not applied again
    members: list[Member]  # every demo member, in member_id order, created now or before
    members_created: int


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _address(name: str, language: str, rng: random.Random) -> dict | None:
    postal_code, city, country = rng.choice(DEMO_TOWNS[language])
    street = f"{rng.choice(DEMO_STREETS[language])} {rng.randint(1, 180)}"
    if language == "en":
        street = f"{rng.randint(1, 180)} {rng.choice(DEMO_STREETS[language])}"
    address = {"name": name, "street": street, "postal_code": postal_code, "city": city, "country": country}
    return address if rng.random() >= 0.05 else None


def _enrolled_ago(n: int, count: int, rng: random.Random) -> datetime.timedelta:
    """Member number n of count: evenly spread, with a few hours of jitter, older numbers enrolled earlier."""
    settled = count - NEWCOMER_COUNT
    if n <= settled:
        first, last, index, span = FIRST_ENROLMENT_DAYS, LAST_SETTLED_ENROLMENT_DAYS, n - 1, max(settled - 1, 1)
    else:
        (first, last), index, span = NEWCOMER_ENROLMENT_DAYS, n - settled - 1, max(NEWCOMER_COUNT - 1, 1)
    days = first - (first - last) * index / span
    return datetime.timedelta(days=days, hours=rng.randint(0, 9), minutes=rng.randint(0, 59))


def demo_members(count: int = DEMO_MEMBER_COUNT) -> list[DemoMember]:
    """The demo's members, always the same: generated from a fixed seed, without any network."""
    names = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    rng = random.Random(DEMO_SEED)
    dates = random.Random(DEMO_SEED + 1)  # apart from `rng`, so the names and segments stay those of before
    places = random.Random(DEMO_SEED + 2)  # likewise for the addresses
    people = []
    for n in range(1, count + 1):
        first, last = rng.choice(names["first_names"]), rng.choice(names["last_names"])
        birth_date = datetime.date(1945, 1, 1) + datetime.timedelta(days=rng.randrange(61 * 365))
        segments = []
        if rng.random() < 0.08:
            segments.append("VIP")
        if n > count - NEWCOMER_COUNT:  # the most recent enrolments
            segments.append("NEWCOMERS")
        if rng.random() < 0.2:
            segments.append("FAMILIES")
        if birth_date.year >= 2000 and rng.random() < 0.6:
            segments.append("STUDENTS")
        if rng.random() < 0.05:
            segments.append("BUSINESS")
        language = rng.choices(list(LANGUAGE_WEIGHTS), weights=list(LANGUAGE_WEIGHTS.values()))[0]
        people.append(
            DemoMember(
                member_id=f"DEMO-{n:04d}",
                first_name=first,
                last_name=last,
                email=f"{_ascii(first)}.{_ascii(last)}.{n}@example.com",
                language=language,
                birth_date=birth_date,
                segments=tuple(segments),
                blocked=rng.random() < 0.01,
                enrolled_ago=_enrolled_ago(n, count, dates),
                address=_address(f"{first} {last}", language, places),
            )
        )
    return people


@transaction.atomic
def demo_load(*, progress: Callable[[int, int], None] | None = None) -> DemoData:
    """Imports the demo program (with its gift pictures) unless it exists, and enrols the missing members;
    what exists already is kept as it is."""
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    program = Program.objects.filter(code=data["code"]).first()
    imported = None
    if program is None:
        imported = program_import_report(data=data)
        program = imported.program
        demo_gift_pictures(program=program)
    people = demo_members()
    existing = set(Member.objects.filter(program=program).values_list("member_id", flat=True))
    segment_ids = dict(Segment.objects.filter(program=program).values_list("code", "id"))
    memberships = []
    enrolled: list[Member] = []
    now = timezone.now()
    created = 0
    for index, person in enumerate(people, start=1):
        if person.member_id not in existing:
            # The service, not a bulk insert: it also opens the balance row. 300 enrolments take well under a second.
            member = member_enrol(
                program=program,
                member_id=person.member_id,
                email=person.email,
                first_name=person.first_name,
                last_name=person.last_name,
                language=person.language,
                birth_date=person.birth_date,
                address=person.address,
            )
            if person.blocked:
                member_set_status(member=member, status=Member.BLOCKED)
            # enrolled_at is auto_now_add: the demo's own date is written after the insert, with the others below.
            member.enrolled_at = now - person.enrolled_ago
            enrolled.append(member)
            # Only new members get their segments: a re-run leaves later edits to memberships alone.
            memberships += [SegmentMembership(segment_id=segment_ids[s], member=member) for s in person.segments]
            created += 1
        if progress and (index % 50 == 0 or index == len(people)):
            progress(index, len(people))
    SegmentMembership.objects.bulk_create(memberships, ignore_conflicts=True)
    Member.objects.bulk_update(enrolled, ["enrolled_at"], batch_size=500)
    members = list(
        Member.objects.filter(program=program, member_id__in=[p.member_id for p in people]).order_by("member_id")
    )
    return DemoData(program=program, imported=imported, members=members, members_created=created)


def demo_gift_pictures(*, program: Program) -> int:
    """Uploads the shipped picture of each demo gift that has none, as the admin would (GiftImage, default
    storage: MEDIA_ROOT or the bucket); returns how many were added."""
    added = 0
    for gift in Gift.objects.filter(program=program, uploaded_images__isnull=True).order_by("sku"):
        path = PICTURES_DIR / f"{gift.sku}.png"
        if gift.images or not path.is_file():
            continue
        with path.open("rb") as handle:
            picture = GiftImage(gift=gift, position=0)
            picture.file.save(path.name, File(handle), save=True)
        added += 1
    return added


@transaction.atomic
def demo_api_client(*, program: Program, rotate_secret: bool = False) -> tuple[ApiClient, str | None, bool]:
    """The demo till with every scope: (client, secret, created). Secrets are stored hashed, so the secret is
    known only when the client is created now or `rotate_secret` asks for a new one (the old one then stops
    working); otherwise it is None and the client is left as it is."""
    client = (
        ApiClient.objects.filter(program=program, name=DEMO_CLIENT_NAME, active=True)
        .select_related("application")
        .order_by("pk")
        .first()
    )
    if client is None:
        client, secret = api_client_create(program=program, name=DEMO_CLIENT_NAME, scopes=list(settings.API_SCOPES))
        return client, secret, True
    if not rotate_secret:
        return client, None, False
    return client, api_client_rotate_secret(client=client), False


def demo_superuser(*, username: str = "admin", password: str = "admin") -> bool:
    """Creates the demo superuser if missing; an existing user is left untouched (its password too)."""
    users = get_user_model()
    if users.objects.filter(username=username).exists():
        return False
    users.objects.create_superuser(username=username, email=f"{username}@example.com", password=password)
    return True


# The webshop member of the demo: a few purchases (one old enough that its points expire soon) and a gift
# on its way, so the shop has a balance, an expiry warning and a redemption status to show.
DEMO_SHOP_BASKETS: tuple[tuple[int, tuple[tuple[str, str, int, str], ...]], ...] = (
    # (days ago, lines as (sku, product category, quantity, unit price))
    (705, (("COF-1000", "coffee", 8, "21.90"), ("BREAD-01", "bakery", 2, "3.40"))),
    (
        240,
        (("COF-250", "coffee", 12, "7.90"), ("MILK-BIO-1L", "organic", 6, "1.85"), ("APPLE-1KG", "fruit", 2, "3.20")),
    ),
    (95, (("COF-1000", "coffee", 6, "21.90"), ("CHEESE-200", "dairy", 2, "5.60"))),
    (33, (("WINE-RED", "wine", 6, "11.50"), ("COF-250", "coffee", 10, "7.90"))),
    (9, (("COF-1000", "coffee", 8, "21.90"), ("TEA-GREEN", "organic", 3, "4.20"))),
)
DEMO_SHOP_GIFT = "COFFEE-250"


@transaction.atomic
def demo_shop_member(*, program: Program, members: list[Member]) -> Member:
    """The first active demo member, given purchases and a gift through the ledger services; safe to run again:
    once a member has them, that member stays the webshop member (even blocked since) and nobody else gets them."""
    from rewards.engine import Line
    from rewards.models import Earn, Redemption
    from rewards.services.earning import Basket, points_earn
    from rewards.services.redemption import redeem

    owner = (
        Earn.objects.filter(program=program, reference__startswith="DEMO-SHOP-")
        .values_list("member_id", flat=True)
        .first()
    )
    chosen = next((m for m in members if m.pk == owner), None) if owner is not None else None
    if chosen is not None:
        return chosen
    member = next(m for m in members if not m.is_blocked)
    now = timezone.now()
    for number, (days_ago, lines) in enumerate(DEMO_SHOP_BASKETS, start=1):
        reference = f"DEMO-SHOP-{member.member_id}-{number}"
        if Earn.objects.filter(program=program, reference=reference).exists():
            continue
        basket = Basket(
            lines=tuple(
                Line(line_id=str(i), sku=sku, product_category=category, quantity=qty, amount=Decimal(price) * qty)
                for i, (sku, category, qty, price) in enumerate(lines, start=1)
            ),
            occurred_at=now - datetime.timedelta(days=days_ago, hours=3),
            channel="store",
            store="BRU-01",
        )
        points_earn(program=program, member=member, basket=basket, reference=reference)
    reference = f"DEMO-SHOP-{member.member_id}-GIFT"
    gift = Gift.objects.filter(program=program, sku=DEMO_SHOP_GIFT).select_related("category__parent__parent").first()
    if gift is not None and not Redemption.objects.filter(program=program, reference=reference).exists():
        redeem(program=program, member=member, gift=gift, quantity=1, reference=reference, actor="load_demo")
    return member


def demo_login_link(*, member: Member, base_url: str) -> str:
    """A one-time webshop link for the member, made by the shop as `member_login_link` makes it."""
    return login_url(member=member, base_url=base_url)


@transaction.atomic
def demo_staff_user(*, program: Program, username: str = "marketing", password: str = "marketing") -> bool:
    """A staff user in the Program manager group, attached to the demo program only; True when created now.

    An existing user keeps its password; its group and program are (re)attached.
    """
    staff_groups_sync()
    users = get_user_model()
    user = users.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = users.objects.create_user(username=username, email=f"{username}@example.com", password=password)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGER))
    program.staff.add(user)
    return created
