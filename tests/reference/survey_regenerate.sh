#!/bin/sh
# Regenerate every survey-estimation fixture in tests/reference/fixtures/survey/ in one command:
#   1. export the demo study's estimation inputs (data_demo.csv, margins_demo.csv,
#      standard_demo.csv) from data/demo/processed/scored.parquet (run `make demo` or
#      `survey score data/demo/study.yaml` first if it is missing);
#   2. run the R script (R 4.x with the survey package, e.g. Debian's r-cran-survey);
#   3. run replicates.R (replicate designs; it reads data_nhanes.csv from step 2).
# Usage, from anywhere:  sh tests/reference/survey_regenerate.sh
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-"$ROOT/.venv/bin/python"}
"$PYTHON" -m survey.demo.reference_export "$ROOT/data/demo/study.yaml" --out "$ROOT/tests/reference/fixtures/survey"
Rscript "$ROOT/tests/reference/survey_estimates.R"
# replicate-weight designs, svychisq Wald/adjWald, svyciprop likelihood/asin (reads data_nhanes.csv)
Rscript "$ROOT/tests/reference/replicates.R"
