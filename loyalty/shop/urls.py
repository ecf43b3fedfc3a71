from django.urls import path

from loyalty.shop import unsubscribe, views

app_name = "shop"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/<key:token>", views.login, name="login"),
    path("history", views.history, name="history"),
    path("catalog", views.catalog, name="catalog"),
    path("gifts/<key:sku>", views.gift, name="gift"),
    path("gifts/<key:sku>/confirm", views.confirm, name="confirm"),
    path("gifts/<key:sku>/address", views.address, name="address"),
    path("gifts/<key:sku>/redeem", views.redeem, name="redeem"),
    path("redemptions/<id:redemption_id>", views.redemption, name="redemption"),
    path("redemptions/<id:redemption_id>/status", views.redemption_status, name="redemption-status"),
    path("language", views.language, name="language"),
    path("logout", views.logout, name="logout"),
    path("unsubscribe/<key:token>", unsubscribe.unsubscribe, name="unsubscribe"),
    # Last: a mistyped address gets the shop's own page, in the member's language, not the server's bare 404.
    path("<path:rest>", views.missing, name="missing"),
]
