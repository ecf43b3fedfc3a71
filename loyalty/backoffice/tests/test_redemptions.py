"""The redemptions admin: read-only pages, scoping, status actions through the service (refunds), the
fulfilment CSV."""

import csv
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client

from catalog.models import Gift
from rewards.models import LedgerEntry, PointsBalance, Redemption, RedemptionStatusChange
from rewards.services.redemption import redeem, voucher_issue
from tests.factories import GiftFactory, MemberFactory, ProgramFactory
from tests.helpers import fund

ADDRESS = {
    "name": "Ann Peeters",
    "street": "Rue Neuve 1",
    "postal_code": "1000",
    "city": "Brussels",
    "country": "BE",
    "phone": "+32 2 123 45 67",
}


@pytest.fixture
def program_a(db):
    return ProgramFactory(code="A", name="Program A")


@pytest.fixture
def program_b(db):
    return ProgramFactory(code="B", name="Program B")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def staff_a(program_a):
    """A fulfilment user of program A with every permission on redemptions."""
    user = User.objects.create_user("fred", "fred@example.com", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="rewards", content_type__model__startswith="redemption")
    )
    program_a.staff.add(user)
    return user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(program_a, program_b):
    ann = MemberFactory(program=program_a, member_id="ANN", first_name="Ann", last_name="Peeters")
    fund(ann, 5000)
    mug = GiftFactory(program=program_a, sku="MUG", points=500, stock=5, name={"en": "Mug", "fr": "Tasse"})
    v10 = GiftFactory(program=program_a, sku="V10", type=Gift.VOUCHER, points=1000, value="10.00")
    first = redeem(program=program_a, member=ann, gift=mug, quantity=2, reference="RD-1", delivery=ADDRESS)
    second = redeem(program=program_a, member=ann, gift=mug, quantity=1, reference="RD-2", delivery=ADDRESS)
    voucher = redeem(program=program_a, member=ann, gift=v10, quantity=1, reference="RD-V")
    voucher_issue(redemption_id=voucher.pk)
    bob = MemberFactory(program=program_b, member_id="BOB")
    fund(bob, 5000)
    secret = GiftFactory(program=program_b, sku="SECRET-GIFT", points=100)
    hidden = redeem(program=program_b, member=bob, gift=secret, quantity=1, reference="SECRET-RD", delivery=ADDRESS)
    return {"ann": ann, "mug": mug, "first": first, "second": second, "voucher": voucher, "hidden": hidden}


def act(client: Client, action: str, *redemptions: Redemption, follow: bool = True, confirm: bool = True):
    data = {"action": action, "_selected_action": [r.pk for r in redemptions]}
    if confirm:  # a cancel or a return is asked again first (test_a_cancel_or_a_return_is_asked_again)
        data["confirm"] = "yes"
    return client.post("/admin/rewards/redemption/", data, follow=follow)


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def available(member) -> int:
    return PointsBalance.objects.get(member=member).available


# ---- pages and scoping ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["superuser", "staff_a"])
def test_list_and_change_pages_answer_200(request, who, world):
    client = logged_in(request.getfixturevalue(who))
    first, voucher = world["first"], world["voucher"]
    for url in (
        "/admin/rewards/redemption/",
        "/admin/rewards/redemption/?status__exact=exchanged",
        f"/admin/rewards/redemption/?gift__id__exact={world['mug'].pk}",
        "/admin/rewards/redemption/?q=RD-1",
        "/admin/rewards/redemption/?q=ANN",
        f"/admin/rewards/redemption/?created_at__year={first.created_at.year}",
        f"/admin/rewards/redemption/{first.pk}/change/",
        f"/admin/rewards/redemption/{voucher.pk}/change/",
        f"/admin/rewards/redemption/{first.pk}/history/",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_change_page_is_read_only_with_delivery_voucher_and_history(world, staff_a):
    client = logged_in(staff_a)
    page = client.get(f"/admin/rewards/redemption/{world['first'].pk}/change/").content.decode()
    for text in (
        "Rue Neuve 1",
        "Brussels",
        "+32 2 123 45 67",
        "Exchanged",
        "Move to: In preparation",
        "Move to: Cancelled",
    ):
        assert text in page, text
    form = page.split('id="redemption_form"')[1].split("</form>")[0]
    assert 'name="_save"' not in form
    assert not any(widget in form for widget in ("<select", "<textarea", 'type="text"', 'type="number"'))
    voucher = world["voucher"]
    page = client.get(f"/admin/rewards/redemption/{voucher.pk}/change/").content.decode()
    code = voucher.voucher.code
    assert code[-4:] in page and code not in page  # masked
    assert "voucher issued" in page  # the status history (actor of the exchanged → delivered step)
    # A POST to the change page changes nothing.
    assert client.post(f"/admin/rewards/redemption/{voucher.pk}/change/", {"status": "cancelled"}).status_code == 403


def test_staff_of_a_never_sees_b(world, staff_a):
    client = logged_in(staff_a)
    hidden = world["hidden"]
    for url in (
        f"/admin/rewards/redemption/{hidden.pk}/change/",
        f"/admin/rewards/redemption/{hidden.pk}/history/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/admin/rewards/redemption/{hidden.pk}/transition/", {"status": "cancelled"}).status_code == 404
    page = client.get("/admin/rewards/redemption/").content.decode()
    assert "RD-1" in page and "SECRET" not in page and "Program B" not in page
    # An action on B's id selects nothing.
    act(client, "move_to_cancelled", hidden)
    hidden.refresh_from_db()
    assert hidden.status == "exchanged"


def test_nothing_can_be_added_or_deleted(world, staff_a):
    client = logged_in(staff_a)
    assert client.get("/admin/rewards/redemption/add/").status_code == 403
    assert client.get(f"/admin/rewards/redemption/{world['first'].pk}/delete/").status_code == 403


# ---- status actions -------------------------------------------------------------------------------------------


def test_actions_follow_the_allowed_transitions(world, staff_a):
    client = logged_in(staff_a)
    first, second = world["first"], world["second"]
    response = act(client, "move_to_in_preparation", first)
    assert page_messages(response) == ["RD-1: Exchanged → In preparation."]
    # One allowed, one refused: each is reported, the allowed one moves.
    response = act(client, "move_to_in_delivery", first, second)
    assert page_messages(response) == [
        "RD-1: In preparation → Shipped.",
        f"RD-2: refused. Redemption {second.pk} cannot go from exchanged to in_delivery.",
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("in_delivery", "exchanged")
    act(client, "move_to_delivered", first)
    first.refresh_from_db()
    assert first.status == "delivered"
    history = list(
        RedemptionStatusChange.objects.filter(redemption=first).values_list("from_status", "to_status", "actor")
    )
    assert history == [
        ("", "exchanged", ""),
        ("exchanged", "in_preparation", "fred"),
        ("in_preparation", "in_delivery", "fred"),
        ("in_delivery", "delivered", "fred"),
    ]
    assert LogEntry.objects.filter(object_id=str(first.pk), change_message="Status in_delivery → delivered").exists()


def test_cancel_refunds_points_and_stock(world, staff_a):
    ann, mug, second = world["ann"], world["mug"], world["second"]
    before_points, before_stock = available(ann), Gift.objects.get(pk=mug.pk).stock
    response = act(logged_in(staff_a), "move_to_cancelled", second)
    assert page_messages(response) == ["RD-2: Exchanged → Cancelled."]
    assert available(ann) == before_points + 500
    assert Gift.objects.get(pk=mug.pk).stock == before_stock + 1
    refund = LedgerEntry.objects.get(kind="refund", reference="RD-2")
    assert refund.points == 500
    # Cancelled is final: a second cancel is refused and refunds nothing.
    response = act(logged_in(staff_a), "move_to_cancelled", second)
    assert "refused" in page_messages(response)[0]
    assert available(ann) == before_points + 500


def test_a_cancel_or_a_return_is_asked_again(world, staff_a):
    """Both are final and refund: the action and the page's button show what will happen, and change nothing
    before the confirmation (they moved at once, one click)."""
    client = logged_in(staff_a)
    ann, first, second = world["ann"], world["first"], world["second"]
    before = available(ann)
    response = act(client, "move_to_cancelled", first, second, confirm=False)
    page = response.content.decode()
    assert response.status_code == 200 and "Nothing has changed yet" in page
    assert "RD-1" in page and "RD-2" in page and 'name="confirm" value="yes"' in page
    assert 'name="action" value="move_to_cancelled"' in page
    button = client.post(f"/admin/rewards/redemption/{first.pk}/transition/", {"status": "cancelled"})
    assert button.status_code == 200 and "Confirm: move to Cancelled" in button.content.decode()
    french = client.post(
        f"/admin/rewards/redemption/{first.pk}/transition/", {"status": "cancelled"}, HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Rien n'a encore changé" in french and "Confirmer : passer à" in french and "points rendus" in french
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status, available(ann)) == ("exchanged", "exchanged", before)

    confirmed = client.post(
        f"/admin/rewards/redemption/{first.pk}/transition/", {"status": "cancelled", "confirm": "yes"}, follow=True
    )
    assert page_messages(confirmed) == ["RD-1: Exchanged → Cancelled."]
    # Moves that are not final go at once.
    assert act(client, "move_to_in_preparation", second, confirm=False).redirect_chain


def test_return_after_delivery_refunds_and_voids_the_voucher(world, staff_a):
    ann, voucher = world["ann"], world["voucher"]
    before = available(ann)
    response = act(logged_in(staff_a), "move_to_returned", voucher)
    assert page_messages(response) == ["RD-V: Delivered → Returned."]
    assert available(ann) == before + 1000
    voucher.voucher.refresh_from_db()
    assert voucher.voucher.status == "void"


def test_transition_button_on_the_change_page(world, staff_a):
    client = logged_in(staff_a)
    first = world["first"]
    response = client.post(
        f"/admin/rewards/redemption/{first.pk}/transition/", {"status": "in_preparation"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/admin/rewards/redemption/{first.pk}/change/"
    assert page_messages(response) == ["RD-1: Exchanged → In preparation."]
    first.refresh_from_db()
    assert first.status == "in_preparation"
    assert client.get(f"/admin/rewards/redemption/{first.pk}/transition/").status_code == 405


def test_a_viewer_gets_no_status_actions(world, program_a):
    viewer = User.objects.create_user("vic", "vic@example.com", "pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_redemption"))
    program_a.staff.add(viewer)
    client = logged_in(viewer)
    page = client.get("/admin/rewards/redemption/").content.decode()
    assert "move_to_cancelled" not in page and "fulfilment_csv" in page
    first = world["first"]
    assert "Move to" not in client.get(f"/admin/rewards/redemption/{first.pk}/change/").content.decode()
    assert client.post(f"/admin/rewards/redemption/{first.pk}/transition/", {"status": "cancelled"}).status_code == 403
    first.refresh_from_db()
    assert first.status == "exchanged"


# ---- fulfilment CSV -------------------------------------------------------------------------------------------


def test_fulfilment_csv(world, staff_a):
    first, second = world["first"], world["second"]
    response = act(logged_in(staff_a), "fulfilment_csv", second, first, world["hidden"], follow=False)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["Reference"] for row in rows] == ["RD-1", "RD-2"]  # by creation; B's is not selectable
    row = rows[0]
    assert row == {
        "Id": str(first.pk),
        "Reference": "RD-1",
        "Created at": row["Created at"],
        "Gift SKU": "MUG",
        "Gift name": "Mug",
        "Quantity": "2",
        "Member name": "Ann Peeters",
        "Delivery name": "Ann Peeters",
        "Street": "Rue Neuve 1",
        "Postal code": "1000",
        "City": "Brussels",
        "Country": "BE",
        "Phone": "+32 2 123 45 67",
        "Status": "Exchanged",
        "Status code": "exchanged",
    }
    assert row["Created at"].endswith(("+01:00", "+02:00"))  # the program's time zone (Europe/Brussels)


def test_fulfilment_csv_defuses_formulas():
    from loyalty.backoffice.fulfilment import safe_cell

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("+32 2 123 45 67") == "+32 2 123 45 67"
    assert safe_cell("Rue Neuve 1") == "Rue Neuve 1"
