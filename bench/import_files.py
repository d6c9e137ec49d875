"""Files for the import benchmark and the memory test: a company of regions, reps and
customers, and a deal file of any length that refers to them (written row by row, so the
generator itself needs no memory)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

STAGES = ("Lead", "Qualified", "Negotiation", "Won", "Lost")
DEAL_COLUMNS = ("external_id", "customer", "owner", "amount", "stage", "created_on", "closed_on")


def write_company(folder: Path, reps: int = 50, customers: int = 2_000) -> dict[str, Path]:
    """regions.csv, people.csv and customers.csv, in the order they import."""
    files = {
        "regions": ["name", "West", "East"],
        "people": ["email,name,region"]
        + [f"r{i}@x.org,Rep {i},{'West' if i % 2 else 'East'}" for i in range(reps)],
        "customers": ["external_id,name,region"]
        + [f"C{i},Customer {i},{'West' if i % 2 else 'East'}" for i in range(customers)],
    }
    paths = {}
    for kind, lines in files.items():
        paths[kind] = folder / f"{kind}.csv"
        paths[kind].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def write_deals(
    path: Path, rows: int, *, reps: int = 50, customers: int = 2_000, seed: int = 5
) -> dict[str, int]:
    """`rows` deals over the company above; returns how many of each stage were written
    (for checking the import against the file, independently of the importer)."""
    rng = random.Random(seed)
    counts = dict.fromkeys(STAGES, 0)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(DEAL_COLUMNS)
        for i in range(rows):
            stage = STAGES[rng.randrange(len(STAGES))]
            counts[stage] += 1
            writer.writerow(
                (
                    f"D{i}",
                    f"C{rng.randrange(customers)}",
                    f"r{rng.randrange(reps)}@x.org",
                    f"{rng.randrange(100, 10**6)}.{rng.randrange(100):02d}",
                    stage,
                    "2025-01-15",
                    "2025-06-01" if stage in ("Won", "Lost") else "",
                )
            )
    return counts
