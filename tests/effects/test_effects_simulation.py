"""Coverage of 95% CIs for a DiD with 8 districts (4 treated): wild bootstrap vs naive cluster-robust.

Run with `make test-slow` (pytest --runslow). 1000 replicates of survey.effects.simulation:
district and wave effects, district x wave shocks (sd 0.15), PSU effects, lognormal weights,
200 respondents per district and wave, true effect 0.2. Findings are in docs/effects.md.
"""

from __future__ import annotations

import pytest

from survey.effects.simulation import coverage


@pytest.mark.slow
def test_wild_bootstrap_coverage_with_eight_districts():
    table = coverage(1000, effect=0.2, B=9999, seed=2024).set_index("method")
    print("\n" + table.to_string())
    for method in ("wcr_rademacher", "wcr_webb"):
        assert 0.92 <= table.loc[method, "coverage"] <= 0.98, table
    # naive cluster-robust SE with normal critical values under-covers with 8 clusters
    assert table.loc["cr1_normal", "coverage"] < table.loc["wcr_webb", "coverage"]
    assert table.loc["cr1_normal", "coverage"] < 0.92
