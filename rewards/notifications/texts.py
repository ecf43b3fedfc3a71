"""The words of the e-mails: placeholders, the shipped defaults (en, fr, nl, it) and the substitution.

Staff-written texts are never run as templates: `{name}` tokens of the known placeholders are replaced by plain
string substitution (HTML-escaped in the HTML part), and anything else stays as written. The admin refuses a
text with an unknown placeholder, so a typo is seen before a member gets `{frist_name}`.
"""

import html
import re
from collections.abc import Mapping

from rewards.notification_models import NotificationKind as K

PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")

COMMON = ("greeting", "first_name", "program")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    K.VOUCHER_ISSUED: (*COMMON, "gift", "code", "value", "date"),
    K.REDEMPTION_SHIPPED: (*COMMON, "gift"),
    K.REDEMPTION_DELIVERED: (*COMMON, "gift"),
    K.POINTS_EXPIRING: (*COMMON, "points", "date"),
    K.WELCOME: COMMON,
}
# What each placeholder stands for (shown in the admin).
PLACEHOLDER_HELP = {
    "greeting": "“Hello Ann,” in the member's language (“Hello,” without a first name)",
    "first_name": "the member's first name (may be empty)",
    "program": "the program's name",
    "gift": "the gift's name in the member's language",
    "code": "the voucher code",
    "value": "the voucher's value with its currency",
    "date": "voucher: its expiry date (“none” when it never expires); digest: the first expiry date",
    "points": "digest: the points expiring within 30 days",
}

LANGUAGES = ("en", "fr", "nl", "it")


def placeholders_used(text: str) -> set[str]:
    return set(PLACEHOLDER_RE.findall(text))


def unknown_placeholders(kind: str, text: str) -> list[str]:
    return sorted(placeholders_used(text) - set(PLACEHOLDERS[kind]))


def substitute(template: str, values: Mapping[str, str], *, escape: bool = False) -> str:
    """`{name}` replaced by `values[name]` (escaped for HTML when `escape`); other text left as it is."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = str(values[name])
        return html.escape(value) if escape else value

    return PLACEHOLDER_RE.sub(replace, template)


def html_from_text(text: str) -> str:
    """The HTML part made from a plain-text part: paragraphs, line breaks, and a paragraph holding only the
    voucher code set apart. Escaped here; the placeholders' values are escaped when substituted."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.strip() == "{code}":
            paragraphs.append('<p style="font-size:20px;letter-spacing:2px;"><strong>{code}</strong></p>')
        else:
            paragraphs.append("<p>" + "<br>\n".join(html.escape(line) for line in block.strip().splitlines()) + "</p>")
    return "\n".join(paragraphs)


def _text(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


# (subject, plain text) by kind and language; the HTML part is made from the text (html_from_text).
_SIGN_OFF = {
    "en": "Thank you for being a member.\nThe {program} team",
    "fr": "Merci de votre fidélité.\nL’équipe {program}",
    "nl": "Bedankt voor je trouw.\nHet team van {program}",
    "it": "Grazie per la tua fedeltà.\nIl team di {program}",
}

DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    K.VOUCHER_ISSUED: {
        "en": (
            "Your voucher for {gift} is ready",
            _text(
                "{greeting}",
                "Your voucher for {gift} is ready. Here is your code:",
                "{code}",
                "Enter it at checkout in our webshop.\nValue: {value}\nExpiry date: {date}",
                _SIGN_OFF["en"],
            ),
        ),
        "fr": (
            "Votre bon d’achat pour {gift} est prêt",
            _text(
                "{greeting}",
                "Votre bon d’achat pour {gift} est prêt. Voici votre code :",
                "{code}",
                "Saisissez-le lors du paiement dans notre boutique en ligne.\nValeur : {value}\n"
                "Date d’expiration : {date}",
                _SIGN_OFF["fr"],
            ),
        ),
        "nl": (
            "Je waardebon voor {gift} staat klaar",
            _text(
                "{greeting}",
                "Je waardebon voor {gift} staat klaar. Dit is je code:",
                "{code}",
                "Vul hem in bij het afrekenen in onze webshop.\nWaarde: {value}\nVervaldatum: {date}",
                _SIGN_OFF["nl"],
            ),
        ),
        "it": (
            "Il tuo buono per {gift} è pronto",
            _text(
                "{greeting}",
                "Il tuo buono per {gift} è pronto. Ecco il tuo codice:",
                "{code}",
                "Inseriscilo al momento del pagamento nel nostro negozio online.\nValore: {value}\n"
                "Data di scadenza: {date}",
                _SIGN_OFF["it"],
            ),
        ),
    },
    K.REDEMPTION_SHIPPED: {
        "en": (
            "Your gift is on its way: {gift}",
            _text(
                "{greeting}", "Good news: your gift “{gift}” has been shipped and will reach you soon.", _SIGN_OFF["en"]
            ),
        ),
        "fr": (
            "Votre cadeau est en route : {gift}",
            _text(
                "{greeting}",
                "Bonne nouvelle : votre cadeau « {gift} » a été expédié et arrivera bientôt chez vous.",
                _SIGN_OFF["fr"],
            ),
        ),
        "nl": (
            "Je cadeau is onderweg: {gift}",
            _text(
                "{greeting}",
                "Goed nieuws: je cadeau ‘{gift}’ is verzonden en komt binnenkort bij je aan.",
                _SIGN_OFF["nl"],
            ),
        ),
        "it": (
            "Il tuo regalo è in viaggio: {gift}",
            _text(
                "{greeting}",
                "Buone notizie: il tuo regalo «{gift}» è stato spedito e arriverà presto da te.",
                _SIGN_OFF["it"],
            ),
        ),
    },
    K.REDEMPTION_DELIVERED: {
        "en": (
            "Your gift has been delivered: {gift}",
            _text("{greeting}", "Your gift “{gift}” has been delivered. We hope you enjoy it!", _SIGN_OFF["en"]),
        ),
        "fr": (
            "Votre cadeau a été livré : {gift}",
            _text(
                "{greeting}", "Votre cadeau « {gift} » a été livré. Nous espérons qu’il vous plaira !", _SIGN_OFF["fr"]
            ),
        ),
        "nl": (
            "Je cadeau is geleverd: {gift}",
            _text(
                "{greeting}",
                "Je cadeau ‘{gift}’ is geleverd. We hopen dat je er veel plezier aan beleeft!",
                _SIGN_OFF["nl"],
            ),
        ),
        "it": (
            "Il tuo regalo è stato consegnato: {gift}",
            _text("{greeting}", "Il tuo regalo «{gift}» è stato consegnato. Speriamo che ti piaccia!", _SIGN_OFF["it"]),
        ),
    },
    K.POINTS_EXPIRING: {
        "en": (
            "{points} of your points expire soon",
            _text(
                "{greeting}",
                "{points} of your {program} points will expire within the next 30 days, the first of them on {date}.",
                "Don’t let them go to waste: choose a gift in our rewards shop before then.",
                _SIGN_OFF["en"],
            ),
        ),
        "fr": (
            "{points} de vos points expirent bientôt",
            _text(
                "{greeting}",
                "{points} de vos points {program} expireront dans les 30 prochains jours, les premiers le {date}.",
                "Ne les laissez pas se perdre : choisissez d’ici là un cadeau dans notre boutique de récompenses.",
                _SIGN_OFF["fr"],
            ),
        ),
        "nl": (
            "{points} van je punten vervallen binnenkort",
            _text(
                "{greeting}",
                "{points} van je {program}-punten vervallen in de komende 30 dagen, de eerste op {date}.",
                "Laat ze niet verloren gaan: kies vóór die datum een cadeau in onze beloningsshop.",
                _SIGN_OFF["nl"],
            ),
        ),
        "it": (
            "{points} dei tuoi punti scadono a breve",
            _text(
                "{greeting}",
                "{points} dei tuoi punti {program} scadranno nei prossimi 30 giorni, i primi il {date}.",
                "Non lasciarli andare persi: scegli un regalo nel nostro negozio premi entro quella data.",
                _SIGN_OFF["it"],
            ),
        ),
    },
    K.WELCOME: {
        "en": (
            "Welcome to {program}",
            _text(
                "{greeting}",
                "Welcome to {program}! From now on, every purchase earns you points that you can exchange for gifts "
                "and vouchers in our rewards shop.",
                "We are glad to have you with us.",
                _SIGN_OFF["en"],
            ),
        ),
        "fr": (
            "Bienvenue chez {program}",
            _text(
                "{greeting}",
                "Bienvenue chez {program} ! Désormais, chaque achat vous rapporte des points que vous pouvez échanger "
                "contre des cadeaux et des bons d’achat dans notre boutique de récompenses.",
                "Nous sommes ravis de vous compter parmi nos membres.",
                _SIGN_OFF["fr"],
            ),
        ),
        "nl": (
            "Welkom bij {program}",
            _text(
                "{greeting}",
                "Welkom bij {program}! Vanaf nu levert elke aankoop je punten op, die je in onze beloningsshop kunt "
                "inruilen voor cadeaus en waardebonnen.",
                "We zijn blij dat je erbij bent.",
                _SIGN_OFF["nl"],
            ),
        ),
        "it": (
            "Ti diamo il benvenuto in {program}",
            _text(
                "{greeting}",
                "Ti diamo il benvenuto in {program}! Da oggi ogni acquisto ti fa guadagnare punti da scambiare con "
                "regali e buoni "
                "nel nostro negozio premi.",
                "Siamo felici di averti con noi.",
                _SIGN_OFF["it"],
            ),
        ),
    },
}


def default_text(kind: str, language: str) -> tuple[str, str, str] | None:
    """(subject, text, html) shipped for `kind` in `language`, or None for a language without defaults."""
    found = DEFAULTS[kind].get(language)
    if found is None:
        return None
    subject, text = found
    return subject, text, html_from_text(text)
