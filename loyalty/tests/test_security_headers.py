"""Security headers with DEBUG off: HSTS, the HTTPS redirect, the Content Security Policy on the shop, the admin
and the API docs, and pages that need nothing the policy refuses (no inline script, style or handler)."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client

from catalog.models import Gift, GiftImage
from rewards.models import Redemption
from tests import django_process as dp
from tests.factories import CategoryFactory, GiftFactory, MemberFactory, PromotionFactory, SegmentFactory
from tests.helpers import fund

# A real 1×1 PNG (browsers decode it; the shop removes pictures that do not load).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00"
    b"\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)

SITE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' https:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


# The back office (django-unfold): Alpine.js evaluates its expressions ('unsafe-eval') and the theme sets inline
# styles; scripts still come only from the site's files (no 'unsafe-inline' for scripts).
ADMIN_POLICY = {**SITE_POLICY, "script-src": "'self' 'unsafe-eval'", "style-src": "'self' 'unsafe-inline'"}


def assert_site_policy(header: str) -> None:
    directives = policy(header)
    for name, value in SITE_POLICY.items():
        assert directives.get(name) == value, (name, directives)
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header


def assert_admin_policy(header: str) -> None:
    directives = policy(header)
    for name, value in ADMIN_POLICY.items():
        assert directives.get(name) == value, (name, directives)
    assert "'unsafe-inline'" not in directives["script-src"]


# ---- in this process (pytest runs with DEBUG off) ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/shop/", "/api/v1/program", "/shop/login/unknown-link"])
def test_the_site_policy_on_every_kind_of_answer(path):
    assert_site_policy(Client().get(path)["Content-Security-Policy"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/admin/", "/admin/no-such-page/"])
def test_the_admin_has_its_wider_policy(path):
    assert_admin_policy(Client().get(path)["Content-Security-Policy"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs", "/api/docs?script=", "/api/redoc"])
def test_the_docs_pages_have_their_own_policy(path):
    response = Client().get(path)
    assert response.status_code == 200
    directives = policy(response["Content-Security-Policy"])
    assert directives["script-src"] == "'self'"  # still no inline script
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["img-src"] == "'self' data:"
    assert directives["worker-src"] == "'self' blob:"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_swagger_ui_starts_from_a_script_file():
    html = Client().get("/api/docs").content.decode()
    scanner = InlineScanner.of(html)
    assert scanner.inline_scripts == []
    assert "/api/docs?script=" in html
    script = Client().get("/api/docs?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


# ---- a deployment's process: DEBUG off, the README's production variables --------------------------------------


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    env = dp.production_environment(tmp_path)
    https = dp.get(["/shop/", "/admin/login/", "/api/docs", "/healthz"], env, HTTP_X_FORWARDED_PROTO="https")
    plain = dp.get(["/shop/", "/admin/login/", "/healthz", "/readyz", "/metrics"], env)
    return {"https": https, "http": plain}


def test_hsts_when_set(production):
    for path in ("/shop/", "/admin/login/", "/api/docs"):
        headers = production["https"][path]["headers"]
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload", path


def test_the_usual_headers(production):
    answer = production["https"]["/admin/login/"]
    headers = answer["headers"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Secure" in answer["cookies"]["csrftoken"]  # the CSRF cookie of the login form


def test_csp_on_the_shop_and_the_admin(production):
    shop = production["https"]["/shop/"]
    assert shop["status"] == 200
    assert_site_policy(shop["headers"]["Content-Security-Policy"])
    admin = production["https"]["/admin/login/"]
    assert admin["status"] == 200
    assert_admin_policy(admin["headers"]["Content-Security-Policy"])


def test_plain_http_is_redirected_to_https_except_the_probes(production):
    for path in ("/shop/", "/admin/login/"):
        answer = production["http"][path]
        assert answer["status"] == 301, path
        assert answer["headers"]["Location"] == f"https://testserver{path}"
    for path in ("/healthz", "/readyz", "/metrics"):
        assert production["http"][path]["status"] != 301, path


# ---- nothing in the pages that the policy refuses ---------------------------------------------------------------


class InlineScanner(HTMLParser):
    """Collects what a `script-src 'self'; style-src 'self'` policy blocks: inline scripts (a data block such as
    `type="application/json"` is not a script), `<style>` elements, style attributes, on* handlers and
    javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str] = []
        self.style_elements = 0
        self.style_attributes: list[str] = []
        self.handlers: list[str] = []
        self.javascript_urls: list[str] = []
        self._in_script = False

    @classmethod
    def of(cls, html: str) -> "InlineScanner":
        scanner = cls()
        scanner.feed(html)
        return scanner

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script":
            kind = (values.get("type") or "text/javascript").lower()
            self._in_script = "src" not in values and kind in ("text/javascript", "module", "application/javascript")
        if tag == "style":
            self.style_elements += 1
        for name, value in attrs:
            if name == "style":
                self.style_attributes.append(f"<{tag} style={value!r}>")
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.javascript_urls.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data.strip()[:80])

    def problems(self) -> list[str]:
        return (
            [f"inline script: {s}" for s in self.inline_scripts]
            + (["<style> element"] if self.style_elements else [])
            + self.style_attributes
            + self.handlers
            + self.javascript_urls
        )

    def script_problems(self) -> list[str]:
        """What the admin's policy still refuses: it allows inline styles, never inline scripts."""
        return [f"inline script: {s}" for s in self.inline_scripts] + self.handlers + self.javascript_urls


@pytest.fixture
def shop_and_admin_data(program, api, settings, tmp_path):
    """A program with what the pages show: categories in a tree, gifts with pictures, a member with points and
    a redemption waiting for its next status, a promotion, a segment."""
    settings.MEDIA_ROOT = tmp_path / "media"
    home = CategoryFactory(program=program, code="HOME", name={"en": "Home"})
    CategoryFactory(program=program, code="KITCHEN", parent=home, name={"en": "Kitchen"})
    mug = GiftFactory(
        program=program, category=home, sku="MUG", points=100, stock=10, images=["https://img.example.com/mug.png"]
    )
    GiftImage.objects.create(gift=mug, file=ContentFile(PNG, name="mug.png"))
    GiftFactory(program=program, category=home, sku="V10", type=Gift.VOUCHER, points=50, value="10.00")
    member = MemberFactory(program=program, member_id="M-1")
    fund(member, 1000)
    answer = api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": "M-1", "gift": "MUG"})
    assert answer.status_code == 201, answer.content
    promotion = PromotionFactory(program=program, code="DOUBLE")
    segment = SegmentFactory(program=program, code="VIP")
    return {"gift": mug, "member": member, "promotion": promotion, "segment": segment, "program": program}


def admin_pages(data) -> list[str]:
    gift, member, promotion, segment = data["gift"], data["member"], data["promotion"], data["segment"]
    redemption = Redemption.objects.get(reference="R-1")
    return [
        "/admin/",
        "/admin/dashboard/",
        "/admin/catalog/gift/",
        f"/admin/catalog/gift/{gift.pk}/change/",
        "/admin/catalog/gift/add/",
        "/admin/catalog/gift/csv/",
        "/admin/catalog/giftcategory/",
        "/admin/rewards/redemption/",
        f"/admin/rewards/redemption/{redemption.pk}/change/",
        "/admin/rewards/promotion/",
        f"/admin/rewards/promotion/{promotion.pk}/change/",
        f"/admin/rewards/promotion/{promotion.pk}/preview/",
        f"/admin/rewards/promotion/{promotion.pk}/simulate/",
        "/admin/members/member/",
        f"/admin/members/member/{member.pk}/change/",
        f"/admin/members/member/{member.pk}/adjust-points/",
        f"/admin/members/member/{member.pk}/login-link/",
        f"/admin/members/member/{member.pk}/set-tier/",
        f"/admin/members/segment/{segment.pk}/change/",
        f"/admin/members/segment/{segment.pk}/upload-members/",
        "/admin/programs/program/",
        f"/admin/programs/program/{data['program'].pk}/change/",
        "/admin/admin/logentry/",
        "/admin/auth/user/",
    ]


@pytest.mark.django_db
def test_admin_pages_need_no_inline_script(shop_and_admin_data):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    checked = 0
    for path in admin_pages(shop_and_admin_data):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_admin_policy(response["Content-Security-Policy"])
        assert InlineScanner.of(response.content.decode()).script_problems() == [], path
        checked += 1
    assert checked == len(admin_pages(shop_and_admin_data))
    # The pages that had inline styles before now carry classes that backoffice/admin.css styles.
    dashboard = client.get("/admin/dashboard/").content.decode()
    assert 'data-source="chart-data-points"' in dashboard and "backoffice/dashboard.css" in dashboard
    assert 'class="gift-thumbnail"' in client.get("/admin/catalog/gift/").content.decode()
    assert 'class="tree-depth-1"' in client.get("/admin/catalog/giftcategory/").content.decode()


@pytest.mark.django_db
def test_shop_pages_need_no_inline_script_or_style(shop_and_admin_data, api):
    login = api.post("/api/v1/members/M-1/identification")
    assert login.status_code == 201, login.content
    client = Client()
    assert client.get(urlsplit(login.json()["login_url"]).path).status_code == 302
    redemption = Redemption.objects.get(reference="R-1")
    pages = [
        "/shop/",
        "/shop/catalog",
        "/shop/gifts/MUG",
        "/shop/gifts/MUG/confirm?quantity=1",
        "/shop/history",
        f"/shop/redemptions/{redemption.pk}",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_site_policy(response["Content-Security-Policy"])
        assert InlineScanner.of(response.content.decode()).problems() == [], path
    catalog = client.get("/shop/catalog").content.decode()
    assert "data-hide-if-broken" in catalog  # broken pictures are handled by shop.js, not by onerror=
    for path, status in [("/shop/gifts/NOPE", 404), ("/shop/login/unknown-link", 403)]:
        response = Client().get(path) if "login" in path else client.get(path)
        assert response.status_code == status, path
        assert InlineScanner.of(response.content.decode()).problems() == [], path
