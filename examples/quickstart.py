# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # clause-sim from Python: a scenario, a run, a figure, two variants compared
#
# This file is a notebook in the *percent* format: open it in JupyterLab or VS Code with
# jupytext (`pip install jupytext`), or run it as a script: `python examples/quickstart.py`.
# The test suite runs it (tests/test_examples.py). Figures go to `$CLAUSE_SIM_EXAMPLE_OUT`
# (default: a folder `quickstart-output` here).

# %%
import os
from pathlib import Path

import sim
from sim.analysis.compare import comparison_rows
from sim.presentation import plots

OUT = Path(os.environ.get("CLAUSE_SIM_EXAMPLE_OUT", "quickstart-output"))
OUT.mkdir(parents=True, exist_ok=True)
REPLICATIONS = int(os.environ.get("CLAUSE_SIM_EXAMPLE_N", "20"))

# %% [markdown]
# ## The reference scenario and its deterministic figure
# The fiche of 2023: 23,000 dwellings at 80,000 EUR excluding VAT, 5 % of the hours worked.
# Here cut to 3 years and 2,000 dwellings so that it runs in seconds.

# %%
SMALL = [
    "scenario.horizon_years=3",
    "works[0].dwellings=2000",
    "flow.referrals.per_year=80",
]
scenario = sim.load_scenario(None, SMALL)
hours = sim.compute_hours(scenario)
print(f"{hours.total_hours:,.0f} insertion hours, {hours.total_fte:,.1f} FTE")

# %% [markdown]
# ## Simulate the flow of people: replications with common random numbers

# %%
runs = sim.replicate(scenario, n=REPLICATIONS, seed=1, jobs=1)
realised = runs.total_stat("hours_realised")
print(
    f"hours realised: {realised.mean:,.0f} (95 % CI {realised.ci_low:,.0f}-{realised.ci_high:,.0f})"
)

# %% [markdown]
# ## A figure: hours per year, the band is what a year could be (5th-95th percentile)

# %%
fig, data = plots.hours_figure(runs, hours, "en")
plots.save(fig, OUT / "hours")
fig  # noqa: B018  (a notebook cell shows its last value: the figure)

# %% [markdown]
# ## Two variants compared: one more ETTI post... or ten
# The same seed gives both variants the same random numbers, so their difference is not noise.

# %%
variant = scenario.with_overrides(["flow.siae.posts.etti=30"])
runs_b = sim.replicate(variant, n=REPLICATIONS, seed=1, jobs=1)
rows = {r["metric"]: r for r in comparison_rows([runs, runs_b], ["hours_realised", "lapsed_share"])}
diff = rows["hours_realised"]["diffs"][0]
print(
    f"30 ETTI posts instead of {scenario.flow.siae_posts['etti']}: "
    f"{diff['mean']:+,.0f} h realised (95 % CI {diff['ci_low']:+,.0f} to {diff['ci_high']:+,.0f})"
)
