"""`survey estimate` on files as R (write.csv: NA) and SAS/Stata (.) users export them.

The files and the reference come from ``tests/reference/r_missing_markers.R``::

    write.csv(d, "nhanes_write_csv_na.csv", row.names = FALSE)            # missing as NA
    write.csv(d, "nhanes_write_csv_dot.csv", row.names = FALSE, na = ".")
    svyby(~HI_CHOL, ~race, svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR,
          nest=TRUE, data=d), svymean, na.rm=TRUE)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.errors import InputFileError
from survey.estimation.cli_table import estimate_table
from survey.intake.markers import blank_markers, check_numbers

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "survey"
NA_FILE = FIXTURES / "nhanes_write_csv_na.csv"
DOT_FILE = FIXTURES / "nhanes_write_csv_dot.csv"
REFERENCE = pd.read_csv(FIXTURES / "nhanes_na_reference.csv")
DESIGN = ["--outcome", "HI_CHOL", "--stat", "mean", "--by", "race", "--weight", "WTMEC2YR",
          "--strata", "SDMVSTRA", "--psu", "SDMVPSU", "--nest"]


def test_the_r_export_writes_missing_values_as_na():
    text = NA_FILE.read_text(encoding="utf-8").splitlines()
    assert sum(",NA," in line for line in text) > 0


@pytest.mark.parametrize(("path", "markers"), [(NA_FILE, ["NA"]), (DOT_FILE, ["."]), (NA_FILE, ["NA", ".", ""])])
def test_estimate_with_declared_markers_matches_r(tmp_path, cli, path, markers):
    out = tmp_path / "est.csv"
    run = cli("estimate", path, *DESIGN, *[a for m in markers for a in ("--na", m)], "-o", out)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out).sort_values("race").reset_index(drop=True)
    assert table["race"].tolist() == REFERENCE["race"].tolist()
    np.testing.assert_allclose(table["estimate"], REFERENCE["estimate"], rtol=1e-10)
    np.testing.assert_allclose(table["se"], REFERENCE["se"], rtol=1e-8)
    assert (table["df"] == REFERENCE["df"]).all()


def test_estimate_refuses_undeclared_na_in_one_line(cli):
    run = cli("estimate", NA_FILE, *DESIGN)
    assert run.returncode != 0
    message = (run.stderr + run.stdout).strip()
    assert len(message.splitlines()) == 1, message
    assert "Traceback" not in message
    assert str(NA_FILE) in message and "column 'HI_CHOL'" in message and "found 'NA'" in message
    first = next(i for i, line in enumerate(NA_FILE.read_text().splitlines(), start=1) if ",NA," in line)
    assert f"file rows {first}," in message
    assert "pass --na NA" in message


def test_a_declared_marker_does_not_hide_other_text(tmp_path):
    data = pd.read_csv(DOT_FILE, dtype=str, keep_default_na=False)
    data.loc[5, "HI_CHOL"] = "n/a"
    path = tmp_path / "mixed.csv"
    data.to_csv(path, index=False)
    with pytest.raises(InputFileError, match=r"found 'n/a' in file row 7; declared markers: '\.'; if 'n/a' means"):
        estimate_table(path, "HI_CHOL", stat="mean", weight="WTMEC2YR", na=["."])


def test_markers_in_the_weight_column_are_checked_too(tmp_path):
    data = pd.read_csv(NA_FILE, dtype=str, keep_default_na=False)
    data.loc[0, "WTMEC2YR"] = "."
    path = tmp_path / "w.csv"
    data.to_csv(path, index=False)
    with pytest.raises(InputFileError, match=r"column 'WTMEC2YR': expected numbers, found '\.' in file row 2"):
        estimate_table(path, "HI_CHOL", stat="mean", weight="WTMEC2YR", na=["NA"])


def test_na_is_refused_for_a_study(tmp_path):
    from survey.errors import ConfigError

    with pytest.raises(ConfigError, match="--na: applies to data files"):
        estimate_table(tmp_path / "study.yaml", "x", study=True, na=["NA"])


def test_blank_markers_is_exact_and_leaves_other_columns_alone():
    data = pd.DataFrame({"a": ["NA", " NA ", "na", "1", None], "b": ["x", "NA", ".", "2", "3"]}, dtype=object)
    out = blank_markers(data, ["NA"])
    assert out["a"].tolist() == [None, None, "na", "1", None]
    assert out["b"].tolist() == ["x", None, ".", "2", "3"]
    assert data["a"].iloc[0] == "NA"          # the input is not changed
    assert blank_markers(data, [""]) is data  # empty cells are missing already
    with pytest.raises(InputFileError, match=r"f\.csv: column 'b': expected numbers, found 'x' in file row 2 "
                                             r"\(other text in 1 more row\)"):
        check_numbers(out, ["b"], path=Path("f.csv"), markers=["NA"])
