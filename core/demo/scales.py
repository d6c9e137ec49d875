"""The sizes of the demo company: small for tests, demo for a first look, large for benchmarks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    regions: tuple[tuple[str, tuple[str, ...]], ...]
    reps: int
    customers: int
    deals: int
    activities_per_deal: float
    currencies: tuple[tuple[str, str], ...] = ()
    """(region name, currency) of the regions that sell in another currency than USD; a team
    not named sells in its top region's currency."""
    not_priced: int = 3
    """Deals of this quarter in a currency without any rate."""


_DEMO_REGIONS = (
    ("North America", ("US East", "US West", "Canada")),
    ("Europe", ("DACH", "UK & Ireland", "Nordics")),
    ("Asia Pacific", ("ANZ", "Japan", "Greater China")),
    ("Latin America", ("Brazil", "Mexico")),
    ("Middle East & Africa", ("Gulf", "South Africa")),
)

_DEMO_CURRENCIES = (
    ("DACH", "EUR"),
    ("Nordics", "EUR"),
    ("UK & Ireland", "GBP"),
    ("ANZ", "AUD"),
    ("Japan", "JPY"),
    ("Greater China", "CNY"),
    ("Brazil", "BRL"),
)
_LARGE_CURRENCIES = (
    ("Region 03", "EUR"),
    ("Region 04", "EUR"),
    ("Region 05", "GBP"),
    ("Region 06", "JPY"),
    ("Region 07", "CNY"),
    ("Region 08", "BRL"),
    ("Region 09", "AUD"),
)

SCALES = {
    "small": Scale(
        _DEMO_REGIONS[:2],
        reps=12,
        customers=300,
        deals=2_500,
        activities_per_deal=1.5,
        currencies=_DEMO_CURRENCIES,
        not_priced=3,
    ),
    "demo": Scale(
        _DEMO_REGIONS,
        reps=40,
        customers=2_000,
        deals=20_000,
        activities_per_deal=2.0,
        currencies=_DEMO_CURRENCIES,
        not_priced=5,
    ),
    "large": Scale(
        tuple(
            (f"Region {i:02d}", tuple(f"Team {i:02d}-{t}" for t in "ABCD")) for i in range(1, 11)
        ),
        reps=2_000,
        customers=200_000,
        deals=1_000_000,
        activities_per_deal=1.0,
        currencies=_LARGE_CURRENCIES,
        not_priced=6,
    ),
    "xlarge": Scale(
        tuple(
            (f"Region {i:02d}", tuple(f"Team {i:02d}-{t}" for t in "ABCD")) for i in range(1, 11)
        ),
        reps=2_000,
        customers=1_000_000,
        deals=5_000_000,
        activities_per_deal=1.0,
        currencies=_LARGE_CURRENCIES,
        not_priced=6,
    ),
}
"""xlarge is large with five times the customers and deals (the same regions and reps): how
cost grows with the data, not with the organisation."""
