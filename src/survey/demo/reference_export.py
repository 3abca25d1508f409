"""Export the demo study's estimation inputs for the R reference script.

``python -m survey.demo.reference_export [STUDY] [--out DIR]`` writes, deterministically:

* ``data_demo.csv`` — the scored respondents, reduced to the design columns, wave, district,
  sex, age group and the indicators' 0/1 columns (blank = outside the indicator's
  population); no identifiers at all, not even the pseudonymised one;
* ``margins_demo.csv`` — the study's population margins (wave, district, sex, age group);
* ``standard_demo.csv`` — the study's standard population summed into its age groups.

``tests/reference/survey_estimates.R`` reads them; ``tests/reference/survey_regenerate.sh``
runs this export and then the R script. Defaults: the demo study and
``tests/reference/fixtures/survey/`` of this repository.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from survey.study import Study, load_study

REPOSITORY = Path(__file__).resolve().parents[3]
DEFAULT_STUDY = REPOSITORY / "data" / "demo" / "study.yaml"
DEFAULT_OUT = REPOSITORY / "tests" / "reference" / "fixtures" / "survey"
DEMOGRAPHICS = ("sex", "age_group")


def export_columns(study: Study) -> list[str]:
    """Columns of the exported data, in order."""
    design = study.design
    columns = ["wave", study.district_column, *design.strata]
    columns += [design.psu, design.ssu, design.fpc, design.weight, *DEMOGRAPHICS]
    columns += [indicator.column for indicator in study.indicators]
    return [c for c in dict.fromkeys(columns) if c]


def export_frame(scored: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The reduced data set: integer codes as integers, 0/1 indicators with blanks for missing."""
    columns = export_columns(study)
    missing = [c for c in columns if c not in scored.columns]
    if missing:
        from survey.errors import ColumnError

        raise ColumnError(f"reference export: scored data lacks the columns {', '.join(missing)}")
    out = scored[columns].copy()
    for column in out.columns:
        values = out[column]
        if (
            isinstance(values.dtype, pd.CategoricalDtype)
            or values.dtype == object
            or pd.api.types.is_string_dtype(values)
        ):
            out[column] = values.astype("string")
            continue
        numbers = pd.to_numeric(values)
        whole = numbers.dropna()
        if len(whole) and (whole == whole.round()).all() and column != study.design.weight:
            out[column] = numbers.astype("Int64")
        else:
            out[column] = numbers.astype("Float64")
    return out.reset_index(drop=True)


def export(study: Study | str | Path = DEFAULT_STUDY, out: str | Path = DEFAULT_OUT) -> list[Path]:
    """Write the three CSV files; return their paths."""
    from survey.estimation.study import standard_for_study

    if not isinstance(study, Study):
        study = load_study(study)
    scored_file = study.paths.scored
    if not scored_file.is_file():
        from survey.errors import InputFileError

        raise InputFileError(f"{scored_file}: not found; run `survey score {study.config_file}` first")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = export_frame(pd.read_parquet(scored_file), study)
    margins = pd.read_csv(study.path(study.config.margins.file))
    standard, _ = standard_for_study(study)
    paths = [out / "data_demo.csv", out / "margins_demo.csv", out / "standard_demo.csv"]
    data.to_csv(paths[0], index=False)  # shortest text that reads back to the same double
    margins.to_csv(paths[1], index=False)
    standard.to_csv(paths[2], index=False)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", nargs="?", default=str(DEFAULT_STUDY))
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    for path in export(args.study, args.out):
        print(path)


if __name__ == "__main__":
    main()
