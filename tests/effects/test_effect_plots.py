"""Parallel-trends and event-study figures (matplotlib Figures, nothing shown or saved)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from survey.effects import event_study, group_means, plot_event_study, plot_group_means
from survey.effects.simulation import simulate_did
from survey.errors import ColumnError, ConfigError
from survey.estimation import Design


@pytest.fixture(scope="module")
def design():
    data = simulate_did(seed=9, waves=(2021, 2022, 2023, 2024), first_treated_wave=2023, effect=0.4)
    return Design(data, weight="weight", strata="stratum", psu="psu", nest=True)


def test_group_means_are_weighted_means_with_design_cis(design):
    means = group_means(design, "y", group="pilot", time="wave")
    assert len(means) == 8 and list(means.columns[:2]) == ["pilot", "wave"]
    data = design.data
    rows = (data["pilot"] == 1) & (data["wave"] == 2024)
    expected = np.average(data.loc[rows, "y"], weights=data.loc[rows, "weight"])
    got = means[(means["pilot"] == 1) & (means["wave"] == 2024)]["estimate"].iloc[0]
    assert got == pytest.approx(expected, rel=1e-12)
    assert (means["ci_low"] < means["estimate"]).all() and (means["estimate"] < means["ci_high"]).all()


def test_figures(design):
    means = group_means(design, "y", group="pilot", time="wave")
    fig = plot_group_means(means, group="pilot", time="wave", start=2022.7, title="y by group")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert len(fig.axes[0].get_legend().get_texts()) == 3  # two groups and the start line
    result = event_study(design, "y", group="pilot", unit="district", time="wave", reference=2022,
                         methods=("design", "cr1"))
    fig = plot_event_study(result, method="cr1")
    assert isinstance(fig, Figure)
    with pytest.raises(ConfigError, match="method"):
        plot_event_study(result, method="wcr_webb")
    with pytest.raises(ColumnError, match="group"):
        group_means(design, "y", group="nope", time="wave")
    with pytest.raises(ColumnError, match="estimate"):
        plot_group_means(means.drop(columns="estimate"), group="pilot", time="wave")
