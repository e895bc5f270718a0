"""Regenerate the figures the README quotes from a real run of the reference scenario.

    python scripts/readme_figures.py            # run (200 replications), rewrite README.md
    python scripts/readme_figures.py --check    # exit 1 if README.md quotes other figures

The text between ``<!-- readme-figures:start -->`` and ``<!-- readme-figures:end -->`` is
replaced by the end-of-run summary of ``clause-sim run`` (French, default seed and
replications, bottleneck diagnosis on 20 replications), so the README never quotes stale
figures. About 30-60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim import jobs, output  # noqa: E402
from sim.scenario import load  # noqa: E402
from sim.streams import DEFAULT_SEED  # noqa: E402

START, END = "<!-- readme-figures:start -->", "<!-- readme-figures:end -->"
REPLICATIONS, BOTTLENECK = 200, 20


def block() -> str:
    """The summary of a real run, as a Markdown block."""
    scenario = load(ROOT / "scenarios" / "erbm-fiche-2023.toml")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r"
        options = jobs.Options(
            replications=REPLICATIONS, seed=DEFAULT_SEED, bottleneck_replications=BOTTLENECK
        )
        summary = jobs.run(scenario, out, options)
        text = output.summary_text(summary, scenario, "fr")
    command = f"clause-sim run scenarios/erbm-fiche-2023.toml -n {REPLICATIONS}"
    return f"{START}\n```text\n$ {command}\n{text.rstrip()}\n```\n{END}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    args = p.parse_args()
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        print(f"README.md has no {START} ... {END} block", file=sys.stderr)
        return 2
    new = pattern.sub(lambda _m: block(), text)
    if args.check:
        stale = new != text
        print("README.md figures are stale" if stale else "README.md figures are current")
        return 1 if stale else 0
    readme.write_text(new, encoding="utf-8")
    print("README.md figures regenerated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
