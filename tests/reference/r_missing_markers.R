# Files as R users export them, for `survey estimate --na` (missing values written "NA" or ".").
#
# Regenerate from the repository root with:
#
#     Rscript tests/reference/r_missing_markers.R
#
# Writes, under tests/reference/fixtures/survey/:
#   nhanes_write_csv_na.csv   write.csv(d, row.names = FALSE): R's default writes missing as NA
#   nhanes_write_csv_dot.csv  write.csv(d, row.names = FALSE, na = "."), as SAS and Stata users do
#   nhanes_na_reference.csv   svyby(~HI_CHOL, ~race, svydesign(id=~SDMVPSU, strata=~SDMVSTRA,
#                             weights=~WTMEC2YR, nest=TRUE, data=d), svymean, na.rm=TRUE):
#                             mean, SE and the degrees of freedom, per race
# d is survey's `nhanes` in strata 80-84 (10 PSUs); HI_CHOL has missing values there.
suppressPackageStartupMessages(library(survey))

script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
script_dir <- if (length(script_arg)) dirname(normalizePath(sub("^--file=", "", script_arg))) else "tests/reference"
out <- file.path(script_dir, "fixtures", "survey")

data(nhanes)
d <- nhanes[nhanes$SDMVSTRA %in% 80:84, ]
stopifnot(sum(is.na(d$HI_CHOL)) > 0)
write.csv(d, file.path(out, "nhanes_write_csv_na.csv"), row.names = FALSE)
write.csv(d, file.path(out, "nhanes_write_csv_dot.csv"), row.names = FALSE, na = ".")

des <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = d)
by_race <- svyby(~HI_CHOL, ~race, des, svymean, na.rm = TRUE)
ref <- data.frame(race = by_race$race, estimate = sprintf("%.17g", by_race$HI_CHOL),
                  se = sprintf("%.17g", by_race$se), df = degf(des),
                  n_missing = as.integer(tapply(is.na(d$HI_CHOL), d$race, sum)[as.character(by_race$race)]),
                  call = "svyby(~HI_CHOL, ~race, svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=d), svymean, na.rm=TRUE)")
write.csv(ref, file.path(out, "nhanes_na_reference.csv"), row.names = FALSE)
cat("wrote", nrow(d), "rows to", out, "\n")
