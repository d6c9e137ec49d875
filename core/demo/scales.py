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


_DEMO_REGIONS = (
    ("North America", ("US East", "US West", "Canada")),
    ("Europe", ("DACH", "UK & Ireland", "Nordics")),
    ("Asia Pacific", ("ANZ", "Japan")),
    ("Latin America", ("Brazil", "Mexico")),
    ("Middle East & Africa", ("Gulf", "South Africa")),
)

SCALES = {
    "small": Scale(_DEMO_REGIONS[:2], reps=12, customers=300, deals=2_500, activities_per_deal=1.5),
    "demo": Scale(_DEMO_REGIONS, reps=40, customers=2_000, deals=20_000, activities_per_deal=2.0),
    "large": Scale(
        tuple(
            (f"Region {i:02d}", tuple(f"Team {i:02d}-{t}" for t in "ABCD")) for i in range(1, 11)
        ),
        reps=2_000,
        customers=200_000,
        deals=1_000_000,
        activities_per_deal=1.0,
    ),
}
