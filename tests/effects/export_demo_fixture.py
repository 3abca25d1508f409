"""Write the demo study's DiD data for the R reference script (no identifiers).

Run by ``Rscript tests/reference/svyglm_estimates.R`` (or directly:
``.venv/bin/python tests/effects/export_demo_fixture.py``). Uses the workspace's
``data/demo/processed/scored.parquet`` when it exists, else runs intake and scoring on a
temporary copy of the demo study. Writes ``tests/reference/fixtures/effects/data_demo_did.csv.gz``
with design codes (stratum = wave:district:urban_rural, psu, weight, stratum_psus), the
DiD columns, the covariates and three outcomes; no respondent ids, dates or answers.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
OUT = ROOT / "tests" / "reference" / "fixtures" / "effects" / "data_demo_did.csv.gz"
COLUMNS = ["stratum", "psu", "weight", "stratum_psus", "district", "wave", "treated", "sex", "age_group",
           "education", "urban_rural", "nmhl_adequate", "phq9_positive", "phq9_total"]


def demo_did_table(study, scored=None):
    """The exported table: DiD columns of the study, design stratum = wave:strata."""
    from survey.effects.study import did_data
    from survey.estimation.prevalence import survey_design

    data = did_data(study, scored)
    design = survey_design(data, study.design)
    table = design.data.rename(columns={design.strata: "_key"})
    out = table.assign(stratum=table["_key"])[COLUMNS].copy()
    for column in ("sex", "education", "urban_rural", "nmhl_adequate", "phq9_positive", "phq9_total", "weight"):
        out[column] = out[column].astype("float64")
    out["age_group"] = out["age_group"].astype(str)
    return out.sort_values(["stratum", "psu"], kind="stable").reset_index(drop=True)


def main() -> None:
    from survey.study import load_study

    if (DEMO / "processed" / "scored.parquet").is_file():
        study = load_study(DEMO / "study.yaml")
        table = demo_did_table(study)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ.setdefault("SURVEY_KEY_DIR", str(Path(tmp) / "keys"))
            target = Path(tmp) / "demo"
            shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("processed", "interim"))
            from survey.intake import ingest
            from survey.scoring.study import score_study

            ingest(target / "study.yaml")
            result = score_study(target / "study.yaml")
            table = demo_did_table(result.study, result.scored)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT, index=False, compression={"method": "gzip", "mtime": 0})
    print(f"wrote {len(table)} rows to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
