"""Webshop pages: thin views over the shop's selectors and services, rendered with Django templates."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Gift
from catalog.selectors import category_tree, gift_on_offer_get
from loyalty.core.errors import DomainError
from loyalty.shop import selectors
from loyalty.shop.auth import (
    COOKIE_NAME,
    ShopRequest,
    delete_member_cookie,
    member_required,
    set_member_cookie,
    signed_out_page,
)
from loyalty.shop.forms import AddressForm, LanguageForm, QuantityForm, RedeemForm
from loyalty.shop.presenters import category_item, gift_card, history_rows, redemption_status_data
from loyalty.shop.services import RecentlyRedeemed, new_reference, shop_address_save, shop_redeem
from members.identification import login_link_use, session_from_cookie, session_revoke, session_set_language
from rewards.services.ledger import balance_catch_up


def _render(
    request: ShopRequest,
    template: str,
    context: dict,
    *,
    section: str = "",
    status: int = 200,
    next_path: str | None = None,
) -> HttpResponse:
    shop = request.shop
    # After a language change the member comes back here: a page answered to a POST names a GET page instead.
    if next_path is None:
        next_path = request.get_full_path() if request.method == "GET" else reverse("shop:home")
    language_form = LanguageForm(
        initial={"language": shop.language, "next": next_path}, languages=shop.program.languages
    )
    base = {"shop": shop, "section": section, "language_form": language_form}
    return render(request, template, {**base, **context}, status=status)


def _not_found(request: ShopRequest) -> HttpResponse:
    return _render(request, "shop/not_found.html", {}, status=404)


@require_GET
@never_cache
def missing(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other address under /shop/: a 404 with the shop's "not found" page, in the member's language; without
    a session, the signed-out page (how to come back), as a 404 too."""
    value = request.COOKIES.get(COOKIE_NAME)
    if session_from_cookie(value) is None:
        return signed_out_page(request, expired=bool(value), status=404)
    return _member_not_found(request)


@member_required
def _member_not_found(request: ShopRequest) -> HttpResponse:
    return _not_found(request)


@require_GET
@never_cache
def login(request: HttpRequest, token: str) -> HttpResponse:
    opened = login_link_use(token=token)
    if opened is None:
        return render(request, "shop/expired.html", {"link": True}, status=403)
    _, cookie_value = opened
    response = redirect("shop:home")
    set_member_cookie(response, cookie_value)
    return response


@require_GET
@member_required
def home(request: ShopRequest) -> HttpResponse:
    member = request.shop.member
    now = timezone.now()
    context = {
        "balance": selectors.member_balance(member),
        "tier": selectors.tier_progress(member, request.shop.language),
        "expiring": selectors.points_expiring_soon(member, now),
        "expiring_days": selectors.EXPIRING_SOON_DAYS,
        "redemptions": [redemption_status_data(r, request.shop.language) for r in selectors.recent_redemptions(member)],
    }
    return _render(request, "shop/home.html", context, section="home")


@require_GET
@member_required
def history(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    balance_catch_up(member=shop.member)  # expired lots get their `expiry` row before the rows are listed
    page = selectors.history_page(shop.member, request.GET.get("page"))
    rows = history_rows(list(page.object_list), shop.program, shop.language)
    return _render(request, "shop/history.html", {"page": page, "rows": rows}, section="history")


@require_GET
@member_required
def catalog(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    now = timezone.now()
    tree = category_tree(shop.program)
    categories = selectors.catalog_categories(shop.program, now, tree)
    code = request.GET.get("category") or ""
    current = next((c.node for c in categories if c.node.code == code), None)
    page = selectors.catalog_page(shop.program, now, tree, current, request.GET.get("page"))
    available = selectors.member_balance(shop.member)["available"]
    context = {
        "categories": [category_item(c, shop.program, shop.language, current) for c in categories],
        "current": current,
        "current_name": shop.program.text(current.name, shop.language) if current else "",
        "page": page,
        "gifts": [gift_card(gift, shop.program, shop.language, available) for gift in page.object_list],
        "available": available,
    }
    return _render(request, "shop/catalog.html", context, section="catalog")


@require_GET
@member_required
def gift(request: ShopRequest, sku: str) -> HttpResponse:
    shop = request.shop
    found = gift_on_offer_get(program=shop.program, sku=sku, now=timezone.now())
    if found is None:
        return _not_found(request)
    available = selectors.member_balance(shop.member)["available"]
    card = gift_card(found, shop.program, shop.language, available, with_description=True)
    return _render(request, "shop/gift.html", {"gift": card, "form": QuantityForm()}, section="catalog")


def _confirm_page(
    request: ShopRequest,
    found: Gift,
    quantity: int,
    reference: str,
    *,
    error: str = "",
    status: int = 200,
    address_form: AddressForm | None = None,
    address_saved: bool = False,
    repeat: RecentlyRedeemed | None = None,
) -> HttpResponse:
    shop = request.shop
    available = selectors.member_balance(shop.member)["available"]
    card = gift_card(found, shop.program, shop.language, available)
    cost = found.points * quantity
    physical = found.type == Gift.PHYSICAL
    address = shop.member.address if physical else None
    if physical and address_form is None:
        member = shop.member
        address_form = AddressForm(initial=address or {"name": f"{member.first_name} {member.last_name}".strip()})
    context = {
        "gift": card,
        "quantity": quantity,
        "cost": cost,
        "available": available,
        "after": available - cost,
        "affordable": cost <= available,
        "reference": reference,
        "error": error,
        "physical": physical,
        "address": address,
        "address_form": address_form,
        "address_saved": address_saved,
        "repeat": repeat,
    }
    confirm_path = f"{reverse('shop:confirm', args=[found.sku])}?quantity={quantity}"
    return _render(request, "shop/confirm.html", context, section="catalog", status=status, next_path=confirm_path)


def _quantity(data) -> int:
    form = QuantityForm(data)
    return form.cleaned_data["quantity"] if form.is_valid() else 1


@require_GET
@member_required
def confirm(request: ShopRequest, sku: str) -> HttpResponse:
    found = gift_on_offer_get(program=request.shop.program, sku=sku, now=timezone.now())
    if found is None:
        return _not_found(request)
    # A fresh reference per confirmation: submitting the same form twice redeems once.
    return _confirm_page(
        request, found, _quantity(request.GET), new_reference(), address_saved=request.GET.get("address") == "saved"
    )


@require_POST
@member_required
def address(request: ShopRequest, sku: str) -> HttpResponse:
    """Saves the member's delivery address from the confirm step, then shows that step again."""
    shop = request.shop
    found = gift_on_offer_get(program=shop.program, sku=sku, now=timezone.now())
    if found is None:
        return _not_found(request)
    quantity = _quantity(request.POST)
    form = AddressForm(request.POST)
    if not form.is_valid():
        return _confirm_page(request, found, quantity, new_reference(), address_form=form, status=400)
    shop_address_save(member=shop.member, address=form.cleaned_data)
    return redirect(f"{reverse('shop:confirm', args=[found.sku])}?quantity={quantity}&address=saved")


@require_POST
@member_required
def redeem(request: ShopRequest, sku: str) -> HttpResponse:
    shop = request.shop
    found = gift_on_offer_get(program=shop.program, sku=sku, now=timezone.now())
    if found is None:
        return _not_found(request)
    form = RedeemForm(request.POST)
    if not form.is_valid():
        return _confirm_page(
            request, found, 1, new_reference(), error=_("The form was incomplete; please confirm again."), status=400
        )
    quantity, reference = form.cleaned_data["quantity"], form.cleaned_data["reference"]
    try:
        redemption = shop_redeem(
            member=shop.member, gift=found, quantity=quantity, reference=reference, again=form.cleaned_data["again"]
        )
    except RecentlyRedeemed as exc:
        # Nothing redeemed: the page asks, and its "redeem again" button sends the same reference with `again`.
        return _confirm_page(request, found, quantity, reference, repeat=exc, status=409)
    except DomainError as exc:
        return _confirm_page(request, found, quantity, new_reference(), error=_error_text(exc), status=409)
    return redirect("shop:redemption", redemption_id=redemption.pk)


def _error_text(exc: DomainError) -> str:
    messages = {
        "insufficient_points": _("You do not have enough points for this gift."),
        "out_of_stock": _("Sorry, this gift is out of stock."),
        "gift_unavailable": _("Sorry, this gift is no longer available."),
        "member_blocked": _("Your account cannot redeem gifts at the moment. Please contact customer service."),
        "address_missing": _("Please give the address where we should send your gift, then confirm."),
    }
    return messages.get(exc.code, _("Your gift could not be redeemed. Please try again."))


@require_GET
@member_required
def redemption(request: ShopRequest, redemption_id: int) -> HttpResponse:
    shop = request.shop
    found = selectors.member_redemption(shop.member, redemption_id)
    if found is None:
        return _not_found(request)
    data = redemption_status_data(found, shop.language)
    return _render(request, "shop/redemption.html", {"redemption": data}, section="history")


@require_GET
@member_required(api=True)
def redemption_status(request: ShopRequest, redemption_id: int) -> JsonResponse:
    shop = request.shop
    found = selectors.member_redemption(shop.member, redemption_id)
    if found is None:
        return JsonResponse({"error": "not_found"}, status=404)
    data = redemption_status_data(found, shop.language)
    return JsonResponse({k: v for k, v in data.items() if k in ("status", "status_label", "voucher", "final")})


@require_POST
@member_required
def language(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    form = LanguageForm(request.POST, languages=shop.program.languages)
    if form.is_valid():
        session_set_language(session=shop.session, language=form.cleaned_data["language"])
    target = form.data.get("next") or ""
    safe = target.startswith("/shop/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if safe else reverse("shop:home"))


@require_POST
@member_required
def logout(request: ShopRequest) -> HttpResponse:
    session_revoke(session=request.shop.session)
    response = render(request, "shop/logged_out.html", {})
    delete_member_cookie(response)
    return response
