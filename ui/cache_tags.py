"""The cached readers an import of each kind can change (ui.data.cached tags), what the import
page says it writes. An import also names "settings", where its saved column mappings live.
The caches follow the tables actually written (db.versions moves their data versions when the
import commits), so a kind missing a tag here still shows its rows at the next rerun."""

from core.transfer import Kind

AFFECTS: dict[Kind, set[str]] = {
    Kind.REGIONS: {"org"},
    Kind.PEOPLE: {"org"},
    Kind.PRODUCTS: {"deals", "settings"},
    Kind.CUSTOMERS: {"customers"},
    Kind.EXCHANGE_RATES: {"deals", "settings"},
    Kind.DEALS: {"deals", "customers"},
    Kind.CREDIT_SPLITS: {"deals"},
    Kind.TARGETS: {"targets"},
    Kind.SEASONALITY: {"targets"},
    Kind.ACTIVITIES: {"activities", "customers"},
}
