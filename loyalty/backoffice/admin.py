"""Imported by the admin's autodiscovery: each module registers its ModelAdmins."""

from loyalty.backoffice import (  # noqa: F401
    balances,
    catalog,
    ledger,
    logentries,
    members,
    notification_texts,
    programs,
    promotions,
    redemptions,
    staff,
    webhooks,
)
