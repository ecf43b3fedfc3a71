"""The promotion tools in French in Debian's Chromium: the browser asks for French (Accept-Language), the code
picker's script writes the words the page handed it, and the calendar and go-live confirmation read in French.
Screenshots (1366x900 and 390x844, checked with axe) go to artifacts/screenshots/backoffice/*-fr-*.png.
"""

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from loyalty.backoffice.groups import PROGRAM_MANAGER, staff_groups_sync
from loyalty.backoffice.tests.test_browser import history, page, pytestmark, shoot  # noqa: F401 (fixture, marks)
from rewards.models import Promotion
from rewards.rules import clear_cache
from tests.browser import admin_log_in
from tests.factories import MemberFactory, ProgramFactory, PromotionFactory


def test_the_promotion_tools_in_french(live_server, page):  # noqa: F811 (the imported fixture)
    clear_cache()
    program = ProgramFactory(code="DEMO", name="Demo Rewards")
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1", name={"en": "1 point per euro"})
    draft = PromotionFactory(program=program, code="BREAD", status="draft", name={"en": "Bread"})
    MemberFactory(program=program, member_id="M-1")
    history(program)
    staff_groups_sync()
    user = get_user_model().objects.create_user("marketing", password="marketing-pass", is_staff=True)
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGER))
    program.staff.add(user)

    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_extra_http_headers({"Accept-Language": "fr"})
    admin_log_in(page, live_server.url, "marketing", "marketing-pass")

    # The picker: suggestions and warnings in French, written by the script from the page's words.
    page.goto(f"{live_server.url}/admin/rewards/promotion/{draft.pk}/change/")
    assert page.locator("#id_kind option:checked").inner_text() == "Points par montant dépensé"
    search = page.locator("#id_product_categories_search")
    search.fill("bak")
    option = page.locator("#id_product_categories_listbox [role=option]", has_text="bakery")
    option.wait_for()
    assert option.first.text_content() == "bakery 3 lignes dans les achats"
    page.fill("#id_product_categories", "")
    search.fill("Bakery")
    search.press("Enter")
    page.locator("#id_product_categories_warnings").get_by_text(
        "Attention — Bakery: Aucun achat des 90 derniers jours n'avait de ligne dans cette catégorie"
    ).wait_for()
    assert page.locator("#id_product_categories_status").text_content() == "Bakery ajouté."

    page.goto(f"{live_server.url}/admin/rewards/promotion/calendar/")
    row = page.locator("#promotion-calendar tr[data-code='BASE']")
    assert "Points par montant dépensé · Active" in row.inner_text()
    shoot(page, "promotion-calendar-fr")

    page.goto(f"{live_server.url}/admin/rewards/promotion/{draft.pk}/go-live/")
    assert "Sur un panier type" in page.inner_text("#content-main")
    shoot(page, "promotion-go-live-fr")
    page.get_by_role("button", name="Confirmer : activer").click()
    page.wait_for_url(re.compile(r"/admin/rewards/promotion/$"))
    assert Promotion.objects.get(pk=draft.pk).status == Promotion.LIVE
    assert "Active: BREAD." in page.inner_text("body")
    assert problems == []
