"""The catalog admin: pages, per-program scoping, the category tree, gift translations, stock, images,
bulk validation, and the CSV export / import with its preview."""

import base64
import csv
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Gift, GiftCategory, GiftImage, GiftStockChange
from loyalty.backoffice.gift_csv import gift_csv_text
from tests.factories import CategoryFactory, GiftFactory, ProgramFactory

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@pytest.fixture
def program_a(db):
    return ProgramFactory(code="A", name="Program A", languages=["en", "fr"], default_language="en")


@pytest.fixture
def program_b(db):
    return ProgramFactory(code="B", name="Program B", languages=["en", "nl"])


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def staff_a(program_a):
    """A marketing user of program A with every permission on the catalog's models."""
    user = User.objects.create_user("anna", "anna@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog"))
    program_a.staff.add(user)
    return user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def catalog(program_a, program_b):
    home = CategoryFactory(program=program_a, code="HOME", name={"en": "Home"}, position=1)
    kitchen = CategoryFactory(program=program_a, code="KITCHEN", name={"en": "Kitchen"}, parent=home, position=1)
    garden = CategoryFactory(program=program_a, code="GARDEN", name={"en": "Garden"}, parent=home, position=0)
    sport = CategoryFactory(program=program_a, code="SPORT", name={"en": "Sport"}, position=0)
    mug = GiftFactory(
        program=program_a, category=kitchen, sku="MUG", name={"en": "Mug", "fr": "Tasse"}, points=500, stock=10
    )
    ball = GiftFactory(program=program_a, category=sport, sku="BALL", name={"en": "Ball"}, points=300)
    other_cat = CategoryFactory(program=program_b, code="SECRET-CAT", name={"en": "Secret category"})
    other = GiftFactory(program=program_b, category=other_cat, sku="SECRET-GIFT", name={"en": "Secret gift"})
    return {
        "home": home,
        "kitchen": kitchen,
        "garden": garden,
        "sport": sport,
        "mug": mug,
        "ball": ball,
        "other_cat": other_cat,
        "other": other,
    }


def gift_form_data(gift: Gift, **changes) -> dict:
    """What the change form posts for `gift` unchanged, with `changes` applied."""
    data = {
        "sku": gift.sku,
        "category": gift.category_id or "",
        "type": gift.type,
        "points": gift.points,
        "value": str(gift.value),
        "voucher_valid_days": gift.voucher_valid_days or "",
        "validated": "on" if gift.validated else "",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
        "stock": "" if gift.stock is None else gift.stock,
        "stock_seen": "" if gift.stock is None else gift.stock,
        "image_urls": "\n".join(gift.images),
        "uploaded_images-TOTAL_FORMS": "0",
        "uploaded_images-INITIAL_FORMS": "0",
        "uploaded_images-MIN_NUM_FORMS": "0",
        "uploaded_images-MAX_NUM_FORMS": "1000",
        "stock_changes-TOTAL_FORMS": "0",
        "stock_changes-INITIAL_FORMS": "0",
        "stock_changes-MIN_NUM_FORMS": "0",
        "stock_changes-MAX_NUM_FORMS": "0",
    }
    for language in gift.program.languages:
        data[f"name_{language}"] = gift.name.get(language, "")
        data[f"description_{language}"] = gift.description.get(language, "")
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# ---- pages and scoping ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["superuser", "staff_a"])
def test_every_catalog_page_answers_200(request, who, catalog):
    client = logged_in(request.getfixturevalue(who))
    mug, kitchen = catalog["mug"], catalog["kitchen"]
    GiftImage.objects.create(gift=mug, file=SimpleUploadedFile("mug.png", PNG))
    for url in (
        "/admin/catalog/",
        "/admin/catalog/giftcategory/",
        "/admin/catalog/giftcategory/add/",
        f"/admin/catalog/giftcategory/{kitchen.pk}/change/",
        "/admin/catalog/gift/",
        "/admin/catalog/gift/?q=mug",
        f"/admin/catalog/gift/?category__id__exact={kitchen.pk}&type__exact=physical&validated__exact=1",
        "/admin/catalog/gift/add/",
        f"/admin/catalog/gift/{mug.pk}/change/",
        f"/admin/catalog/gift/{mug.pk}/history/",
        "/admin/catalog/gift/csv/",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_staff_of_a_never_sees_b(catalog, staff_a):
    client = logged_in(staff_a)
    other, other_cat = catalog["other"], catalog["other_cat"]
    for url in (
        f"/admin/catalog/gift/{other.pk}/change/",
        f"/admin/catalog/gift/{other.pk}/delete/",
        f"/admin/catalog/gift/{other.pk}/history/",
        f"/admin/catalog/giftcategory/{other_cat.pk}/change/",
        f"/admin/catalog/giftcategory/{other_cat.pk}/delete/",
    ):
        assert client.get(url).status_code == 404, url
    for url in ("/admin/catalog/gift/", "/admin/catalog/giftcategory/", "/admin/catalog/gift/add/"):
        page = client.get(url).content.decode()
        assert "SECRET" not in page and "Secret" not in page and "Program B" not in page, url
    export = client.get(f"/admin/catalog/gift/csv/export/?program={other.program_id}")
    assert export.status_code == 302  # not a choice of this user: back to the form
    # A category of B cannot be chosen for A's gift.
    response = client.post(
        f"/admin/catalog/gift/{catalog['mug'].pk}/change/", gift_form_data(catalog["mug"], category=other_cat.pk)
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_superuser_sees_every_program(catalog, superuser):
    page = logged_in(superuser).get("/admin/catalog/gift/").content.decode()
    assert "MUG" in page and "SECRET-GIFT" in page


# ---- categories -----------------------------------------------------------------------------------------------


def test_categories_are_listed_as_a_tree(catalog, staff_a):
    page = logged_in(staff_a).get("/admin/catalog/giftcategory/").content.decode()
    # SPORT (position 0) before HOME (position 1); under HOME, GARDEN (0) before KITCHEN (1), indented.
    order = [page.index(f"{name}</span>") for name in (">Sport", ">Home", "└ Garden", "└ Kitchen")]
    assert order == sorted(order)
    assert 'class="tree-depth-1"' in page


def test_category_parent_cannot_make_a_cycle_or_cross_programs(catalog, staff_a):
    client = logged_in(staff_a)
    home, kitchen = catalog["home"], catalog["kitchen"]
    data = {"code": "HOME", "parent": kitchen.pk, "active": "on", "position": 1, "name_en": "Home", "name_fr": ""}
    response = client.post(f"/admin/catalog/giftcategory/{home.pk}/change/", data)
    assert response.status_code == 200
    # KITCHEN sits under HOME: it is not even offered as HOME's parent.
    assert "Select a valid choice" in response.content.decode()
    form = client.get(f"/admin/catalog/giftcategory/{home.pk}/change/").content.decode()
    assert f'value="{kitchen.pk}"' not in form and f'value="{catalog["sport"].pk}"' in form
    assert "HOME › KITCHEN" not in form and "SPORT" in form
    home.refresh_from_db()
    assert home.parent is None


def test_category_cycle_is_refused_by_the_form(catalog):
    from loyalty.backoffice.catalog_forms import GiftCategoryForm, with_languages

    home, kitchen = catalog["home"], catalog["kitchen"]
    form_class = with_languages(GiftCategoryForm, ["en", "fr"])
    form = form_class(
        {"code": "HOME", "parent": kitchen.pk, "active": "on", "position": 1, "name_en": "Home"}, instance=home
    )
    form.fields["parent"].queryset = GiftCategory.objects.all()  # even when offered
    assert not form.is_valid()
    assert "cycle: HOME → KITCHEN → HOME" in str(form.errors["parent"])


def test_category_created_with_names_per_language(program_a, staff_a, catalog):
    response = logged_in(staff_a).post(
        "/admin/catalog/giftcategory/add/",
        {
            "program": program_a.pk,
            "code": "TOYS",
            "parent": catalog["home"].pk,
            "active": "on",
            "position": 3,
            "name_en": "Toys",
            "name_fr": "Jouets",
        },
    )
    assert response.status_code == 302, response.content.decode()
    toys = GiftCategory.objects.get(code="TOYS")
    assert toys.name == {"en": "Toys", "fr": "Jouets"} and toys.parent == catalog["home"]


# ---- gifts ----------------------------------------------------------------------------------------------------


def test_gift_form_has_a_translation_row_per_program_language(catalog, staff_a):
    page = logged_in(staff_a).get(f"/admin/catalog/gift/{catalog['mug'].pk}/change/").content.decode()
    for name in ("name_en", "description_en", "name_fr", "description_fr"):
        assert f'name="{name}"' in page
    assert 'name="name_nl"' not in page  # a language of B only
    assert 'value="Tasse"' in page


def test_gift_form_inputs_wear_the_theme_one_a_line(catalog, staff_a):
    """The language fields, the stock and the image URLs are form fields the model does not declare: without
    unfold's widgets they were bare (the stock read as plain text), and two fields in a row (the dates, a name
    and its description) ran past the page's right edge, the second label hidden."""
    response = logged_in(staff_a).get(f"/admin/catalog/gift/{catalog['mug'].pk}/change/")
    form = response.context["adminform"].form
    for name in ("name_en", "description_fr", "stock", "image_urls", "valid_until"):
        assert "border" in form[name].as_widget(), name
    lines = [list(line.fields) for fieldset in response.context["adminform"] for line in fieldset]
    assert all(len(fields) == 1 for fields in lines), lines


def test_a_negative_gift_value_is_refused_on_its_field(catalog, staff_a):
    mug = catalog["mug"]
    response = logged_in(staff_a).post(f"/admin/catalog/gift/{mug.pk}/change/", gift_form_data(mug, value="-2"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"value": ["Must be 0 or more."]}  # not "Constraint “gift_value_non_negative” is violated."


def test_gift_edit_writes_translations_and_logs_the_stock_change(catalog, staff_a):
    mug = catalog["mug"]
    response = logged_in(staff_a).post(
        f"/admin/catalog/gift/{mug.pk}/change/",
        gift_form_data(mug, name_fr="Grande tasse", description_fr="En grès.", description_en="", stock=25),
    )
    assert response.status_code == 302, response.content.decode()
    mug.refresh_from_db()
    assert mug.name == {"en": "Mug", "fr": "Grande tasse"}
    assert mug.description == {"fr": "En grès."}
    assert mug.stock == 25
    change = GiftStockChange.objects.get(gift=mug)
    assert (change.before, change.after, change.actor) == (10, 25, "anna")


def test_gift_needs_a_name_in_the_default_language(catalog, staff_a):
    mug = catalog["mug"]
    response = logged_in(staff_a).post(f"/admin/catalog/gift/{mug.pk}/change/", gift_form_data(mug, name_en=""))
    assert response.status_code == 200
    assert "Required in English" in response.content.decode()


def test_stock_changed_by_a_redemption_meanwhile_is_not_overwritten(catalog, staff_a):
    mug = catalog["mug"]
    data = gift_form_data(mug, stock=50)  # the page showed 10
    Gift.objects.filter(pk=mug.pk).update(stock=8)  # a redemption took 2
    response = logged_in(staff_a).post(f"/admin/catalog/gift/{mug.pk}/change/", data)
    assert response.status_code == 200
    assert "The stock changed to 8" in response.content.decode()
    mug.refresh_from_db()
    assert mug.stock == 8 and not GiftStockChange.objects.exists()


def test_saving_other_fields_keeps_a_stock_moved_meanwhile(catalog, staff_a):
    mug = catalog["mug"]
    data = gift_form_data(mug, points=600)  # stock left as shown (10)
    Gift.objects.filter(pk=mug.pk).update(stock=7)
    assert logged_in(staff_a).post(f"/admin/catalog/gift/{mug.pk}/change/", data).status_code == 302
    mug.refresh_from_db()
    assert (mug.points, mug.stock) == (600, 7)


def test_gift_created_in_the_admin(program_a, catalog, staff_a):
    data = gift_form_data(catalog["mug"], sku="PLATE", stock=5, name_en="Plate", name_fr="Assiette")
    data["program"] = program_a.pk
    response = logged_in(staff_a).post("/admin/catalog/gift/add/", data)
    assert response.status_code == 302, response.content.decode()
    plate = Gift.objects.get(sku="PLATE")
    assert plate.program == program_a and plate.stock == 5 and plate.name == {"en": "Plate", "fr": "Assiette"}


def test_image_upload_is_shown_and_listed_by_the_api(catalog, staff_a, settings, tmp_path, api_for):
    settings.MEDIA_ROOT = tmp_path
    # The gift's permissions are enough: pictures are part of the gift.
    staff_a.user_permissions.set(Permission.objects.filter(codename__in=["view_gift", "change_gift"]))
    mug = catalog["mug"]
    data = gift_form_data(mug, image_urls="https://cdn.example.com/mug.jpg")
    data.update(
        {
            "uploaded_images-TOTAL_FORMS": "1",
            "uploaded_images-0-file": SimpleUploadedFile("mug.png", PNG, content_type="image/png"),
            "uploaded_images-0-position": "0",
        }
    )
    client = logged_in(staff_a)
    response = client.post(f"/admin/catalog/gift/{mug.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()
    image = GiftImage.objects.get(gift=mug)
    assert image.file.name.startswith(f"gifts/{mug.pk}/") and (tmp_path / image.file.name).read_bytes() == PNG
    assert image.file.url in client.get("/admin/catalog/gift/").content.decode()  # the thumbnail
    body = api_for(mug.program).get("/api/v1/gifts/MUG").json()
    # Uploads are named by absolute URLs, on the host that served the request, like the external ones.
    assert body["images"] == ["https://cdn.example.com/mug.jpg", f"http://testserver{image.file.url}"]


def test_a_file_that_is_not_an_image_is_refused(catalog, staff_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mug = catalog["mug"]
    data = gift_form_data(mug)
    data.update(
        {
            "uploaded_images-TOTAL_FORMS": "1",
            "uploaded_images-0-file": SimpleUploadedFile(
                "evil.png", b"<svg onload=alert(1)>", content_type="image/png"
            ),
            "uploaded_images-0-position": "0",
        }
    )
    response = logged_in(staff_a).post(f"/admin/catalog/gift/{mug.pk}/change/", data)
    assert response.status_code == 200
    assert "Not a PNG, JPEG, GIF or WebP image." in response.content.decode()
    assert not GiftImage.objects.exists()


def test_api_gift_list_queries_stay_constant_with_images(program_a, api_for):
    api = api_for(program_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/gifts?limit=200").status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        gift = GiftFactory(program=program_a, category=None, sku=f"G{i}")
        GiftImage.objects.create(gift=gift, file=f"gifts/{gift.pk}/a.png")
    api.get("/api/v1/gifts")
    few = queries()
    for i in range(3, 40):
        gift = GiftFactory(program=program_a, category=None, sku=f"G{i}")
        GiftImage.objects.create(gift=gift, file=f"gifts/{gift.pk}/a.png")
    assert queries() == few


def test_bulk_validate_and_unvalidate(catalog, staff_a):
    client = logged_in(staff_a)
    mug, ball, other = catalog["mug"], catalog["ball"], catalog["other"]
    ids = [mug.pk, ball.pk, other.pk]  # B's gift is not in this user's queryset: untouched
    client.post("/admin/catalog/gift/", {"action": "unvalidate", "_selected_action": ids})
    assert set(Gift.objects.filter(validated=False).values_list("sku", flat=True)) == {"MUG", "BALL"}
    client.post("/admin/catalog/gift/", {"action": "validate", "_selected_action": [mug.pk]})
    assert set(Gift.objects.filter(validated=False).values_list("sku", flat=True)) == {"BALL"}
    assert list(
        LogEntry.objects.filter(object_id=str(mug.pk)).order_by("id").values_list("change_message", flat=True)
    ) == [
        "Unvalidated (taken off offer).",
        "Validated (put on offer).",
    ]


# ---- CSV ------------------------------------------------------------------------------------------------------


def export(client: Client, program) -> str:
    response = client.get(f"/admin/catalog/gift/csv/export/?program={program.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return response.content.decode()


def upload(client: Client, program, text: str):
    return client.post(
        "/admin/catalog/gift/csv/",
        {"program": program.pk, "file": SimpleUploadedFile("gifts.csv", text.encode(), content_type="text/csv")},
    )


def payload_of(response) -> str:
    form = response.context["apply_form"]
    assert form is not None, response.context["preview"]
    return form.initial["payload"]


def test_export_has_a_column_per_language(catalog, staff_a, program_a):
    rows = list(csv.reader(io.StringIO(export(logged_in(staff_a), program_a))))
    assert rows[0][:3] == ["sku", "category", "type"]
    assert rows[0][-4:] == ["name_en", "description_en", "name_fr", "description_fr"]
    assert [row[0] for row in rows[1:]] == ["BALL", "MUG"]  # A's gifts only
    mug = dict(zip(rows[0], rows[2], strict=True))
    assert mug["category"] == "KITCHEN" and mug["stock"] == "10" and mug["name_fr"] == "Tasse"


def test_export_then_import_changes_nothing(catalog, staff_a, program_a):
    client = logged_in(staff_a)
    response = upload(client, program_a, export(client, program_a))
    assert response.status_code == 200
    assert response.context["counts"] == {"new": 0, "update": 0, "unchanged": 2, "error": 0}


def test_import_previews_then_applies(catalog, staff_a, program_a):
    client = logged_in(staff_a)
    text = export(client, program_a)
    text = text.replace("Tasse", "Grande tasse")
    text = text.replace("MUG,KITCHEN,physical,500,8.00,10,", "MUG,GARDEN,physical,650,8.00,40,")
    text += "LAMP,HOME,physical,900,25.00,,false,,,,https://cdn.example.com/lamp.jpg,Lamp,A lamp.,Lampe,\n"
    response = upload(client, program_a, text)
    page = response.content.decode()
    assert response.context["counts"] == {"new": 1, "update": 1, "unchanged": 1, "error": 0}
    assert "points</b>: 500 → 650" in page and "category</b>: KITCHEN → GARDEN" in page
    assert "stock</b>: 10 → 40" in page and "Grande tasse" in page
    assert not Gift.objects.filter(sku="LAMP").exists()  # nothing written by the preview
    assert Gift.objects.get(sku="MUG").points == 500

    response = client.post("/admin/catalog/gift/csv/", {"payload": payload_of(response)})
    assert response.status_code == 302
    lamp = Gift.objects.get(sku="LAMP")
    assert lamp.program == program_a and lamp.category == catalog["home"] and lamp.stock is None
    assert lamp.name == {"en": "Lamp", "fr": "Lampe"} and lamp.images == ["https://cdn.example.com/lamp.jpg"]
    assert not lamp.validated
    mug = Gift.objects.get(sku="MUG")
    assert (mug.points, mug.category, mug.stock) == (650, catalog["garden"], 40)
    assert mug.name == {"en": "Mug", "fr": "Grande tasse"}
    change = GiftStockChange.objects.get(gift=mug)
    assert (change.before, change.after, change.actor, change.reason) == (10, 40, "anna", "CSV import")
    # In each gift's admin history.
    history = client.get(f"/admin/catalog/gift/{mug.pk}/history/").content.decode()
    assert "Changed category, points, stock, name by CSV import." in history and "anna" in history
    assert "Added by CSV import." in client.get(f"/admin/catalog/gift/{lamp.pk}/history/").content.decode()


def test_import_refuses_bad_rows_with_their_line_numbers(catalog, staff_a, program_a):
    client = logged_in(staff_a)
    text = (
        "sku,category,points,stock,validated,valid_from,valid_until,name_en\n"
        "NEW1,HOME,100,,true,,,New one\n"
        "NEW2,NOPE,0,-3,maybe,2026-01-01,,\n"
        "MUG,KITCHEN,500,10,true,2026-02-01T00:00:00+01:00,2026-01-01T00:00:00+01:00,Mug\n"
        "NEW1,HOME,100,,true,,,Again\n"
        "short,row\n"
    )
    response = upload(client, program_a, text)
    preview = response.context["preview"]
    assert not preview.ok and preview.error_lines == [3, 4, 5, 6]
    errors = {row.line: " | ".join(row.errors) for row in preview.rows if row.status == "error"}
    assert "line 3: points: must be a positive integer" in errors[3]
    assert "line 3: stock: must be an integer >= 0 or null" in errors[3]
    assert "line 3: validated: must be true or false" in errors[3]
    assert "line 3: valid_from: must be an ISO 8601 timestamp" in errors[3]
    assert "line 3: category: no category 'NOPE' in A" in errors[3]
    assert "line 3: name_en: required" in errors[3]
    assert "line 4: valid_until: must be after valid_from" in errors[4]
    assert "line 5: sku NEW1 is already on line 2" in errors[5]
    assert "line 6: 2 cells, but the header has 8 columns" in errors[6]
    assert response.context["apply_form"] is None
    assert "fix the lines 3, 4, 5, 6" in response.content.decode()
    assert not Gift.objects.filter(sku="NEW1").exists()


def test_unknown_columns_are_refused_at_line_1(catalog, staff_a, program_a):
    response = upload(logged_in(staff_a), program_a, "sku,name_nl,colour\nMUG,Mok,red\n")
    assert response.context["preview"].errors == [
        "line 1: unknown column(s) name_nl, colour (texts go in name_xx and description_xx columns, xx among en, fr)"
    ]


def test_apply_refuses_a_file_whose_preview_changed(catalog, staff_a, program_a):
    client = logged_in(staff_a)
    response = upload(client, program_a, "sku,points\nMUG,700\n")
    payload = payload_of(response)
    Gift.objects.filter(sku="MUG").update(points=650)  # someone edited the gift meanwhile
    response = client.post("/admin/catalog/gift/csv/", {"payload": payload})
    assert response.status_code == 200
    assert "The catalog changed since the preview" in response.content.decode()
    assert Gift.objects.get(sku="MUG").points == 650


def test_apply_refuses_an_altered_payload(catalog, staff_a):
    response = logged_in(staff_a).post("/admin/catalog/gift/csv/", {"payload": "forged"}, follow=True)
    assert "The preview expired or was altered" in response.content.decode()


def test_semicolons_and_a_bom_are_read(catalog, staff_a, program_a):
    response = upload(logged_in(staff_a), program_a, "\ufeffsku;points\nMUG;510\n")
    assert response.context["counts"]["update"] == 1


def test_gift_csv_text_round_trips_through_the_service(catalog, program_a):
    from loyalty.backoffice.gift_csv import gift_csv_apply

    before = list(Gift.objects.filter(program=program_a).order_by("sku").values())
    preview = gift_csv_apply(program=program_a, data=gift_csv_text(program=program_a), actor="test")
    assert preview.count("unchanged") == 2
    assert list(Gift.objects.filter(program=program_a).order_by("sku").values()) == before


def test_staff_without_change_permission_cannot_import(catalog, program_a):
    viewer = User.objects.create_user("vera", "vera@example.com", "pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_gift"))
    program_a.staff.add(viewer)
    client = logged_in(viewer)
    assert client.get("/admin/catalog/gift/csv/").status_code == 200
    page = client.get(f"/admin/catalog/gift/{catalog['mug'].pk}/change/").content.decode()
    assert "Tasse" in page and 'name="name_fr"' not in page  # shown, not editable
    assert upload(client, program_a, "sku,points\nMUG,1\n").status_code == 403
