"""The back office in the staff user's language (issue 18): human words for stored codes, and every text of the
promotion tools and the member erase and merge pages translated. The language comes from the browser's
Accept-Language (Django's LocaleMiddleware), as for a French- or Dutch-speaking staff user.

Also: every entry of the project's .po files is translated in fr, nl and it (an untranslated entry shows English
to that staff user without anyone noticing).
"""

import datetime
import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from loyalty.backoffice.tests.helpers import admin_url, staff_user
from members.models import Member
from programs.services import tier_save
from rewards.models import Notification, PointsBalance, Promotion
from rewards.services.tiers import tier_override
from tests.factories import MemberFactory, PromotionFactory

pytestmark = pytest.mark.django_db

LANGUAGES = ("fr", "nl", "it")
# Stored codes that must not show through as words (a URL parameter or an attribute may carry them).
RAW_CODES = ("spend", "quantity", "basket", "multiplier", "draft", "live", "paused", "scheduled")


@pytest.fixture
def web(client, program):
    client.force_login(staff_user("manager", program))
    return client


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, tags or attributes; entities decoded; spaces collapsed."""
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def raw_codes_in(text: str) -> list[str]:
    return [code for code in RAW_CODES if re.search(rf"\b{code}\b", text, re.I)]


@pytest.fixture
def promotions(program):
    now = timezone.now()
    PromotionFactory(program=program, code="PAIN", name={"en": "Pain"}, status=Promotion.LIVE)
    PromotionFactory(
        program=program,
        code="PLUSTARD",
        name={"en": "Plus tard"},
        status=Promotion.LIVE,
        kind=Promotion.QUANTITY,
        rate=None,
        points=5,
        starts_at=now + datetime.timedelta(weeks=2),
    )
    return PromotionFactory(
        program=program,
        code="SOON",
        name={"en": "Bientôt"},
        status=Promotion.DRAFT,
        starts_at=now + datetime.timedelta(days=8),
    )


# ---- promotions in French -------------------------------------------------------------------------------------------


def test_the_promotion_list_in_french_shows_words_not_codes(web, promotions):
    page = web.get(admin_url(Promotion, "changelist"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    text = visible_text(page)

    assert "Points par montant dépensé" in text and "Points par article" in text
    assert "Brouillon" in text and "Calendrier" in text and "Activer…" in page  # the actions' select
    assert raw_codes_in(text) == []
    # The filters offer the same words, and still filter on the code.
    filtered = visible_text(
        web.get(admin_url(Promotion, "changelist"), {"kind": "quantity"}, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )
    assert "PLUSTARD" in filtered and "PAIN" not in filtered


def test_the_calendar_in_french(web, promotions):
    page = web.get(admin_url(Promotion, "calendar"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    text = visible_text(page)

    assert "Calendrier des promotions" in text
    assert "Points par montant dépensé · Active" in text
    assert "Points par article · Programmée (active, commence plus tard)" in text
    assert "Brouillon (pas active)" in text and "commencée avant" in text and "continue →" in text
    assert "Semaine du" in text and "Promotions par semaine, 3 affichées" in text
    assert raw_codes_in(text) == []
    assert "Spend" not in text and "started earlier" not in text


def test_the_go_live_confirmation_in_french(web, program, promotions):
    page = web.get(admin_url(Promotion, "go_live", promotions.pk), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    text = visible_text(page)

    assert "Activer : SOON" in text
    assert "Points par montant dépensé, actuellement Brouillon, programme" in text
    assert "Qui elle touche" in text and "Sur un panier type" in text and "Confirmer : activer" in text
    assert raw_codes_in(text) == []
    assert "Who it reaches" not in text and "Confirm: go live" not in text


def test_the_preview_simulation_and_form_in_french(web, promotions):
    preview = visible_text(
        web.get(admin_url(Promotion, "preview", promotions.pk), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )
    assert "Aperçu de SOON" in preview and "Lignes du panier" in preview and "Évaluer le panier" in preview
    assert "Points par montant dépensé" in preview and raw_codes_in(preview) == []

    simulation = visible_text(
        web.get(
            admin_url(Promotion, "simulate", promotions.pk), {"days": 30}, HTTP_ACCEPT_LANGUAGE="fr"
        ).content.decode()
    )
    assert "Simuler SOON" in simulation and "achats examinés" in simulation and raw_codes_in(simulation) == []

    form = web.get(admin_url(Promotion, "change", promotions.pk), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    # The kind and status choices are the words; the values sent stay the codes.
    assert '<option value="spend" selected>Points par montant dépensé</option>' in form
    assert '<option value="draft" selected>Brouillon</option>' in form
    assert ">Taux</label>" in form and ">Seuil</label>" in form and "Montant minimum" in form
    assert "Rechercher des catégories de produits" in form and "Simuler ces modifications" in form
    assert '"lines": "{count} lignes dans les achats"' in form  # the pickers' words, handed to the script
    assert 'data-search-segments="Rechercher des segments"' in form


# ---- members in Dutch -----------------------------------------------------------------------------------------------


@pytest.fixture
def ann(program):
    return MemberFactory(program=program, member_id="ANN-1", email="ann@example.org")


def test_the_erase_page_in_dutch(web, ann):
    url = admin_url(Member, "erase", ann.pk)
    text = visible_text(web.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode())
    assert "De persoonsgegevens van ANN-1 wissen" in text
    assert "Wissen kan niet ongedaan worden gemaakt" in text and "Typ de lid-id om te bevestigen" in text
    assert "Erasure cannot be undone" not in text

    refused = visible_text(web.post(url, {"confirm": "ann-1"}, HTTP_ACCEPT_LANGUAGE="nl").content.decode())
    assert "Typ precies ANN-1 om dit lid te wissen." in refused


def test_the_merge_page_in_dutch(web, program, ann):
    dup = MemberFactory(program=program, member_id="ANN-2")
    url = admin_url(Member, "merge", dup.pk)
    assert "ANN-2 samenvoegen met een ander lid" in visible_text(
        web.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    )

    text = visible_text(web.post(url, {"target": "ANN-1"}, HTTP_ACCEPT_LANGUAGE="nl").content.decode())
    assert "ANN-2 (samengevoegd)" in text and "ANN-1 (behouden)" in text
    assert "beschikbare punten" in text and "Partijen die worden overgezet (0)" in text and "geen niveau" in text
    assert "ANN-2 samenvoegen met ANN-1" in text
    assert "available points" not in text and "(merged)" not in text

    itself = visible_text(web.post(url, {"target": "ANN-2"}, HTTP_ACCEPT_LANGUAGE="nl").content.decode())
    assert "Een lid kan niet met zichzelf worden samengevoegd." in itself


def test_tier_change_reasons_are_words_in_the_staff_language(web, program, ann):
    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=5000)
    balance, _ = PointsBalance.objects.get_or_create(member=ann, program=program)
    tier_override(balance=balance, tier=gold, reason="trial", until=timezone.now() + datetime.timedelta(days=30))

    page = web.get(admin_url(Member, "change", ann.pk), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    changes = visible_text(re.search(r'<table id="member-tier-changes">.*?</table>', page, re.S).group(0))
    assert "Handmatig ingesteld" in changes and "Laatste" in changes and "override" not in changes
    english = web.get(admin_url(Member, "change", ann.pk), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Set by hand" in re.search(r'<table id="member-tier-changes">.*?</table>', english, re.S).group(0)


def test_the_notification_log_in_french(web, program, ann):
    sent = Notification.objects.create(
        program=program, member=ann, kind="welcome", subject="enrolment", key="k1", status="sent"
    )
    listing = visible_text(web.get(admin_url(Notification, "changelist"), HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "Bienvenue à l'inscription" in listing and "Envoyée" in listing
    assert "Welcome on enrolment" not in listing and not re.search(
        r"\bsent\b(?! at)", listing, re.I
    )  # "Sent at": a field name
    page = visible_text(web.get(admin_url(Notification, "change", sent.pk), HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "Bienvenue à l'inscription" in page and "Envoyée" in page and "Welcome on enrolment" not in page


# ---- every .po entry translated ---------------------------------------------------------------------------------------


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgstr (the plural forms' msgstr[n] as a list), flags."""
    entries: list[dict] = []
    entry: dict = {}
    key = None

    def close() -> None:
        if "msgid" in entry:
            entries.append(dict(entry))
        entry.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            close()
            key = None
        elif line.startswith("#,"):
            if "msgid" in entry:
                close()
            entry["flags"] = line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = line[1:-1]
            if isinstance(entry.get(key), list):
                entry[key][-1] += value
            else:
                entry[key] = entry.get(key, "") + value
        else:
            name, _, rest = line.partition(" ")
            if name.startswith("msgstr["):
                entry.setdefault("msgstr", []).append(rest[1:-1])
                key = "msgstr"
            else:
                if name == "msgctxt" and "msgid" in entry:
                    close()
                entry[name] = rest[1:-1]
                key = name
    close()
    return entries


def untranslated(entries: list[dict]) -> list[tuple]:
    """(msgctxt, msgid) of the entries with an empty msgstr (any plural form) or marked fuzzy."""
    missing = []
    for entry in entries:
        if not entry["msgid"]:
            continue  # the header
        value = entry.get("msgstr", "")
        forms = value if isinstance(value, list) else [value]
        if not all(forms) or "fuzzy" in entry.get("flags", ""):
            missing.append((entry.get("msgctxt"), entry["msgid"]))
    return missing


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_po_entry_is_translated(language):
    path = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    entries = po_entries(path)
    assert len(entries) > 100
    assert untranslated(entries) == []


def test_the_po_check_sees_an_untranslated_entry(tmp_path):
    path = tmp_path / "django.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Language: fr\\n"\n\nmsgid "Yes"\nmsgstr "Oui"\n\n'
        'msgctxt "x"\nmsgid "No"\nmsgstr ""\n\n#, fuzzy\nmsgid "Maybe"\nmsgstr "Peut-être"\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s jour"\nmsgstr[1] ""\n\n'
        'msgid "Long"\nmsgstr ""\n"Lo"\n"ng"\n',
        encoding="utf-8",
    )
    entries = po_entries(path)
    assert untranslated(entries) == [("x", "No"), (None, "Maybe"), (None, "%(n)s day")]


def test_the_gift_and_event_type_forms_in_french(web, program):
    from catalog.models import Gift
    from programs.models import EventType
    from tests.factories import GiftFactory

    gift = GiftFactory(program=program, sku="MUG", points=100)
    text = visible_text(web.get(admin_url(Gift, "change", gift.pk), HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    for words in (
        "Offre",
        "Traductions",
        "Images externes",
        "Valeur",
        "Valable à partir du",
        "Stock",
        "Validé",
        "Jours de validité du bon",
        "Nom (Français)",
        "Description (English)",
        "Vide signifie illimité.",
    ):
        assert words in text, words
    assert "Modification de cadeau" in text and "Catalogue" in text  # the page's title and breadcrumb
    assert "Cadeau physique" in text and "Changements de stock" in text and "Fichier" in text  # choices, inlines
    for english in ("Offer", "Translations", "External images", "Voucher valid days", "Valid from", "Name (English)"):
        assert english not in text, english
    refused = web.post(
        admin_url(Gift, "change", gift.pk),
        {"program": program.pk, "sku": "MUG", "type": "physical", "points": 0, "value": "-1", "name_en": "Mug"},
        HTTP_ACCEPT_LANGUAGE="fr",
    ).content.decode()
    assert "Doit valoir au moins 1." in refused and "Doit valoir 0 ou plus." in refused

    event_type = EventType.objects.create(program=program, code="SURVEY", name={"en": "Survey"}, points=5)
    page = web.get(admin_url(EventType, "change", event_type.pk), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    text = visible_text(page)
    assert "Limite par jour" in text and "Limite à vie" in text
    assert "Per day limit" not in text and "Lifetime limit" not in text
