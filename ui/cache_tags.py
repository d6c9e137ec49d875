"""The cached readers an import of each kind can change (ui.data.cached tags). An import also
clears "settings", where its saved column mappings live."""

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
