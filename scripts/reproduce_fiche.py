"""Reproduce the figure of fiche action 1 (2023) and exit non-zero if the engine differs.

python scripts/reproduce_fiche.py [SCENARIO]
"""

from __future__ import annotations

import sys

import sim
from sim import fmt

FICHE = (
    "« si on prend l'hypothèse de la rénovation de 23 000 logements à hauteur de 80 000 euros "
    "HT [...] on obtient : 1 311 000 heures d'insertion, soit 720 ETP (base ETP à 1 820h), "
    "sur 10 ans : 72 ETP/AN. »"
)
EXPECTED = {
    "dwellings": 23000,
    "amount_eur": 23000 * 80000,
    "hours": 1311000,
    "fte": 720,
    "fte_per_year": 72,
}


def main(argv: list[str]) -> int:
    scenario = sim.load_scenario(argv[0] if argv else None)
    r = sim.compute_hours(scenario)
    got = {
        "dwellings": int(r.dwellings.sum()),
        "amount_eur": float(r.amount_eur.sum()),
        "hours": r.total_hours,
        "fte": round(r.total_fte),
        "fte_per_year": round(r.fte_per_year),
    }
    print("Fiche action 1 (2023):")
    print(f"  {FICHE}\n")
    print(f"{'':14}{'fiche':>16}{'clause-sim':>16}")
    ok = True
    for key, want in EXPECTED.items():
        same = got[key] == want
        ok &= same
        verdict = "ok" if same else "DIFFERS"
        print(f"{key:14}{fmt.number(want):>16}{fmt.number(got[key]):>16}  {verdict}")
    print(
        f"\nexact values: {r.total_hours:.0f} h, {r.total_fte:.4f} FTE, "
        f"{r.fte_per_year:.4f} FTE a year, {fmt.number(r.hours[0])} h a year"
    )
    print("REPRODUCED" if ok else "NOT REPRODUCED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
