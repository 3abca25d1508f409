# Reference numbers for survey.estimation, computed with R's survey package.
#
# Regenerate everything in one command (from anywhere; needs R with the survey package, e.g.
# Debian's r-cran-survey, and the workspace's .venv):
#
#     sh tests/reference/survey_regenerate.sh
#
# which first runs `python -m survey.demo.reference_export` (writes data_demo.csv,
# margins_demo.csv and standard_demo.csv from the demo study's processed/scored.parquet) and
# then this script (`Rscript tests/reference/survey_estimates.R`; without data_demo.csv the
# demo cases are skipped with a warning).
#
# Writes into tests/reference/fixtures/survey/:
#   data_*.csv      the input data sets exactly as R holds them (api: apistrat, apiclus1,
#                   apiclus2; nhanes; plus derived 0/1 columns and two designs with lonely PSUs).
#                   Every R number below is computed from these CSV files as read back by R,
#                   so Python reads the identical data.
#   population_nhanes_*.csv, standard_nhanes_*.csv
#                   population counts and standard populations of the calibration cases.
#   estimates.csv   one row per case x domain: estimate, se, ci_low, ci_high, df, deff, and
#                   the R call that produced it (column r_call).
#   chisq.csv       svychisq() results (second order F and first order Chisq).
#   contrasts.csv   svycontrast() on svyby(..., covmat=TRUE): difference of two domains.
#   versions.csv    R and survey package versions.
# Numbers are written with 17 significant digits.
#
# Calibration (issue 4): postStratify, rake (default and tight control), trimWeights and
# svystandardize on api and nhanes, and the demo study's prevalence by wave x district (crude,
# raked to the population margins, age-standardised to the study's standard population).
# Workarounds for survey 4.1 (each noted in the r_call column where used):
#   * svyciprop(method="logit") on a calibrated design with a missing outcome: coded as a
#     domain ("outcome present"), and where svyglm's IRLS diverges, method="xlogit" (the same
#     logit-scale Wald interval computed without the glm);
#   * svyby(..., covmat=TRUE) stops on calibrated designs: the two domain means as svyratio.
#
# Conventions checked (see src/survey/estimation): domains via svyby (subset = zero weight),
# na.rm=TRUE, df of a domain = degf() of the complete-case domain subset, deff=TRUE (SRS
# without replacement), svyciprop "logit" and "beta" (Korn-Graubard, R's version).

suppressPackageStartupMessages(library(survey))

# svyciprop(method="logit") fits an intercept-only svyglm; glm's default convergence test
# (relative deviance change < 1e-8) leaves errors of order 1e-8 in p and the interval. The
# fixtures hold the converged numbers: glm's default tolerance is tightened for this script.
local({
  stats_ns <- asNamespace("stats")
  glm_control <- get("glm.control", envir = stats_ns)
  unlockBinding("glm.control", stats_ns)
  assign("glm.control", function(epsilon = 1e-13, maxit = 100, trace = FALSE)
    glm_control(epsilon = epsilon, maxit = maxit, trace = trace), envir = stats_ns)
  lockBinding("glm.control", stats_ns)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- if (length(script)) normalizePath(file.path(dirname(script), "..", "..")) else getwd()
out <- file.path(root, "tests", "reference", "fixtures", "survey")
dir.create(out, recursive = TRUE, showWarnings = FALSE)

fmt <- function(x) {
  x <- as.numeric(unname(as.vector(x)))
  ifelse(is.na(x), NA_character_, sprintf("%.17g", x))
}

# ---------------------------------------------------------------- input data
data(api)
data(nhanes)
apistrat$both_yes <- as.numeric(apistrat$both == "Yes")
apiclus1$sch_wide_yes <- as.numeric(apiclus1$sch.wide == "Yes")
apiclus2$sch_wide_yes <- as.numeric(apiclus2$sch.wide == "Yes")
# a stratified element sample whose stratum H keeps a single school: a lonely stratum
apistrat_lonely <- rbind(apistrat[apistrat$stype != "H", ], apistrat[apistrat$stype == "H", ][1, ])
# NHANES without PSU 2 of stratum 75: stratum 75 is left with one PSU
nhanes_lonely <- nhanes[!(nhanes$SDMVSTRA == 75 & nhanes$SDMVPSU == 2), ]

keep_api <- c("cds", "stype", "name", "dnum", "snum", "cname", "cnum", "api00", "api99",
              "enroll", "api.stu", "sch.wide", "awards", "both", "pw", "fpc", "fpc1", "fpc2",
              "both_yes", "sch_wide_yes")
export <- function(df, name) {
  df <- df[, intersect(keep_api, names(df)), drop = FALSE]
  write.csv(df, file.path(out, paste0("data_", name, ".csv")), row.names = FALSE, na = "")
  read.csv(file.path(out, paste0("data_", name, ".csv")), stringsAsFactors = FALSE)
}
strat <- export(apistrat, "apistrat")
clus1 <- export(apiclus1, "apiclus1")
clus2 <- export(apiclus2, "apiclus2")
lonely_strat <- export(apistrat_lonely, "apistrat_lonely")
write.csv(nhanes, file.path(out, "data_nhanes.csv"), row.names = FALSE, na = "")
nh <- read.csv(file.path(out, "data_nhanes.csv"), stringsAsFactors = FALSE)
write.csv(nhanes_lonely, file.path(out, "data_nhanes_lonely.csv"), row.names = FALSE, na = "")
nh_lonely <- read.csv(file.path(out, "data_nhanes_lonely.csv"), stringsAsFactors = FALSE)

# ---------------------------------------------------------------- helpers
rows <- list()
add_rows <- function(case, call, domain, estimate, se, ci_low = NA, ci_high = NA, df = NA, deff = NA) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, domain = domain, estimate = fmt(estimate), se = fmt(se),
    ci_low = fmt(ci_low), ci_high = fmt(ci_high), df = fmt(df), deff = fmt(deff),
    r_call = call, stringsAsFactors = FALSE)
}

# domain labels "var=value, var=value", as survey.estimation's DomainCells.labels()
labels_of <- function(tab, byvars) {
  apply(sapply(byvars, function(v) paste0(v, "=", as.character(tab[[v]]))), 1, paste, collapse = ", ")
}

# df of each domain: degf() of the complete-case domain subset (what svyciprop uses in svyby)
domain_df <- function(design, tab, byvars, vars) {
  sapply(seq_len(nrow(tab)), function(i) {
    inside <- rep(TRUE, nrow(design))
    for (v in byvars) inside <- inside & !is.na(design$variables[[v]]) &
        design$variables[[v]] == tab[[v]][i]
    for (v in vars) inside <- inside & !is.na(design$variables[[v]])
    degf(design[inside, ])
  })
}
complete_df <- function(design, vars) {
  inside <- rep(TRUE, nrow(design))
  for (v in vars) inside <- inside & !is.na(design$variables[[v]])
  degf(design[inside, ])
}

# overall svymean / svytotal with deff and a t interval on the complete-case df
overall <- function(case, fun, var, design, call) {
  est <- fun(as.formula(paste0("~", var)), design, na.rm = TRUE, deff = TRUE)
  df <- complete_df(design, var)
  q <- qt(0.975, df)
  add_rows(case, call, "(all)", coef(est), SE(est), coef(est) - q * SE(est),
           coef(est) + q * SE(est), df, deff(est))
}
by_domains <- function(case, fun, var, byvars, design, call) {
  tab <- svyby(as.formula(paste0("~", var)), as.formula(paste0("~", paste(byvars, collapse = "+"))),
               design, fun, na.rm = TRUE, deff = TRUE)
  df <- domain_df(design, tab, byvars, var)
  q <- qt(0.975, df)
  add_rows(case, call, labels_of(tab, byvars), coef(tab), SE(tab),
           coef(tab) - q * SE(tab), coef(tab) + q * SE(tab), df, deff(tab))
}
ciprop <- function(case, var, design, method, call) {
  design <- design[!is.na(design$variables[[var]]), ]
  p <- svyciprop(as.formula(paste0("~", var)), design, method = method)
  ci <- attr(p, "ci")
  add_rows(case, call, "(all)", as.vector(p), sqrt(as.vector(attr(p, "var"))), ci[1], ci[2],
           degf(design), NA)
}
ciprop_by <- function(case, var, byvars, design, method, call) {
  if (!is.null(design$postStrata) && anyNA(design$variables[[var]])) {
    # svyciprop's svyglm breaks on a missing outcome in a calibrated design (its subsets keep
    # every row): code "outcome present" as one more domain variable and keep those domains
    design$variables$y0_ <- ifelse(is.na(design$variables[[var]]), 0, design$variables[[var]])
    design$variables$present_ <- !is.na(design$variables[[var]])
    by <- as.formula(paste0("~", paste(c(byvars, "present_"), collapse = "+")))
    tab <- suppressWarnings(svyby(~y0_, by, design, svyciprop, method = method, vartype = c("se", "ci")))
    tab <- tab[tab$present_, ]
    means <- svyby(as.formula(paste0("~", var)), as.formula(paste0("~", paste(byvars, collapse = "+"))),
                   design, svymean, na.rm = TRUE)
    diverged <- any(abs(coef(tab) - coef(means)) > 1e-6)
    if (diverged && method == "logit") {
      # svyglm's IRLS can diverge on such a design (weights scaled by their mean over all rows);
      # "xlogit" is the same interval (delta method on the logit scale) without the glm
      tab <- suppressWarnings(svyby(~y0_, by, design, svyciprop, method = "xlogit", vartype = c("se", "ci")))
      call <- paste("[svyglm diverged: method='xlogit', the same logit interval]", call)
    }
    tab <- tab[tab$present_, ]
  } else {
    design <- design[!is.na(design$variables[[var]]), ]
    tab <- svyby(as.formula(paste0("~", var)), as.formula(paste0("~", paste(byvars, collapse = "+"))),
                 design, svyciprop, method = method, vartype = c("se", "ci"))
  }
  df <- domain_df(design, tab, byvars, var)
  add_rows(case, call, labels_of(tab, byvars), coef(tab), SE(tab), tab$ci_l, tab$ci_u, df, NA)
}
ratio_case <- function(case, num, den, design, call, byvars = NULL) {
  if (is.null(byvars)) {
    r <- svyratio(as.formula(paste0("~", num)), as.formula(paste0("~", den)), design,
                  na.rm = TRUE, deff = TRUE)
    add_rows(case, call, "(all)", coef(r), SE(r), NA, NA, complete_df(design, c(num, den)),
             attr(r, "deff"))
  } else {
    tab <- svyby(as.formula(paste0("~", num)), as.formula(paste0("~", paste(byvars, collapse = "+"))),
                 design, svyratio, denominator = as.formula(paste0("~", den)), na.rm = TRUE,
                 deff = TRUE)
    add_rows(case, call, labels_of(tab, byvars), coef(tab), SE(tab), NA, NA,
             domain_df(design, tab, byvars, c(num, den)), deff(tab))
  }
}

# ---------------------------------------------------------------- designs
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)
d_strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
d_strat0 <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat)
d_clus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
d_clus1_0 <- svydesign(id = ~dnum, weights = ~pw, data = clus1)
d_clus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = clus2)
d_clus2_0 <- svydesign(id = ~dnum + snum, weights = ~pw, data = clus2)
d_clus2_1 <- svydesign(id = ~dnum, fpc = ~fpc1, weights = ~pw, data = clus2)
d_nh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nh)

S <- "svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)"
S0 <- "svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat)"
C1 <- "svydesign(id=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)"
C10 <- "svydesign(id=~dnum, weights=~pw, data=apiclus1)"
C2 <- "svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, weights=~pw, data=apiclus2)"
C20 <- "svydesign(id=~dnum+snum, weights=~pw, data=apiclus2)"
C21 <- "svydesign(id=~dnum, fpc=~fpc1, weights=~pw, data=apiclus2)"
NH <- "svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=nhanes)"

# ---- apistrat: stratified element sample, with and without fpc
overall("strat_mean_api00", svymean, "api00", d_strat, paste("svymean(~api00, d, deff=TRUE); d <-", S))
overall("strat0_mean_api00", svymean, "api00", d_strat0, paste("svymean(~api00, d, deff=TRUE); d <-", S0))
overall("strat_total_enroll", svytotal, "enroll", d_strat, paste("svytotal(~enroll, d, deff=TRUE); d <-", S))
overall("strat0_total_enroll", svytotal, "enroll", d_strat0, paste("svytotal(~enroll, d, deff=TRUE); d <-", S0))
by_domains("strat_mean_api00_by_awards", svymean, "api00", "awards", d_strat,
           paste("svyby(~api00, ~awards, d, svymean, deff=TRUE); d <-", S))
by_domains("strat_total_enroll_by_stype_awards", svytotal, "enroll", c("stype", "awards"), d_strat,
           paste("svyby(~enroll, ~stype+awards, d, svytotal, deff=TRUE); d <-", S))
by_domains("strat_mean_both_yes_by_stype", svymean, "both_yes", "stype", d_strat,
           paste("svyby(~both_yes, ~stype, d, svymean, deff=TRUE); d <-", S))
ratio_case("strat_ratio_stu_enroll", "api.stu", "enroll", d_strat,
           paste("svyratio(~api.stu, ~enroll, d, deff=TRUE); d <-", S))
ratio_case("strat_ratio_stu_enroll_by_awards", "api.stu", "enroll", d_strat,
           paste("svyby(~api.stu, ~awards, d, svyratio, denominator=~enroll, deff=TRUE); d <-", S),
           byvars = "awards")
ciprop("strat_prop_both_logit", "both_yes", d_strat, "logit", paste("svyciprop(~both_yes, d, method='logit'); d <-", S))
ciprop("strat_prop_both_beta", "both_yes", d_strat, "beta", paste("svyciprop(~both_yes, d, method='beta'); d <-", S))
ciprop_by("strat_prop_both_logit_by_stype", "both_yes", "stype", d_strat, "logit",
          paste("svyby(~both_yes, ~stype, d, svyciprop, method='logit', vartype=c('se','ci')); d <-", S))
ciprop_by("strat0_prop_both_beta_by_stype", "both_yes", "stype", d_strat0, "beta",
          paste("svyby(~both_yes, ~stype, d, svyciprop, method='beta', vartype=c('se','ci')); d <-", S0))

# ---- apiclus1: one-stage cluster sample, with and without fpc
overall("clus1_mean_api00", svymean, "api00", d_clus1, paste("svymean(~api00, d, deff=TRUE); d <-", C1))
overall("clus1_0_mean_api00", svymean, "api00", d_clus1_0, paste("svymean(~api00, d, deff=TRUE); d <-", C10))
overall("clus1_total_enroll", svytotal, "enroll", d_clus1, paste("svytotal(~enroll, d, deff=TRUE); d <-", C1))
by_domains("clus1_mean_api00_by_stype", svymean, "api00", "stype", d_clus1,
           paste("svyby(~api00, ~stype, d, svymean, deff=TRUE); d <-", C1))
by_domains("clus1_0_mean_api00_by_stype", svymean, "api00", "stype", d_clus1_0,
           paste("svyby(~api00, ~stype, d, svymean, deff=TRUE); d <-", C10))
ratio_case("clus1_ratio_stu_enroll_by_stype", "api.stu", "enroll", d_clus1,
           paste("svyby(~api.stu, ~stype, d, svyratio, denominator=~enroll, deff=TRUE); d <-", C1),
           byvars = "stype")
ciprop("clus1_prop_sw_logit", "sch_wide_yes", d_clus1, "logit", paste("svyciprop(~sch_wide_yes, d, method='logit'); d <-", C1))
ciprop("clus1_prop_sw_beta", "sch_wide_yes", d_clus1, "beta", paste("svyciprop(~sch_wide_yes, d, method='beta'); d <-", C1))
ciprop_by("clus1_prop_sw_logit_by_stype", "sch_wide_yes", "stype", d_clus1, "logit",
          paste("svyby(~sch_wide_yes, ~stype, d, svyciprop, method='logit', vartype=c('se','ci')); d <-", C1))
ciprop_by("clus1_prop_sw_beta_by_stype", "sch_wide_yes", "stype", d_clus1, "beta",
          paste("svyby(~sch_wide_yes, ~stype, d, svyciprop, method='beta', vartype=c('se','ci')); d <-", C1))

# ---- apiclus2: two-stage cluster sample
overall("clus2_mean_api00", svymean, "api00", d_clus2, paste("svymean(~api00, d, deff=TRUE); d <-", C2))
overall("clus2_mean_enroll", svymean, "enroll", d_clus2, paste("svymean(~enroll, d, na.rm=TRUE, deff=TRUE); d <-", C2))
overall("clus2_total_enroll", svytotal, "enroll", d_clus2, paste("svytotal(~enroll, d, na.rm=TRUE, deff=TRUE); d <-", C2))
by_domains("clus2_mean_api00_by_stype", svymean, "api00", "stype", d_clus2,
           paste("svyby(~api00, ~stype, d, svymean, deff=TRUE); d <-", C2))
by_domains("clus2_mean_enroll_by_stype", svymean, "enroll", "stype", d_clus2,
           paste("svyby(~enroll, ~stype, d, svymean, na.rm=TRUE, deff=TRUE); d <-", C2))
ciprop_by("clus2_prop_sw_logit_by_stype", "sch_wide_yes", "stype", d_clus2, "logit",
          paste("svyby(~sch_wide_yes, ~stype, d, svyciprop, method='logit', vartype=c('se','ci')); d <-", C2))
ratio_case("clus2_ratio_stu_enroll", "api.stu", "enroll", d_clus2,
           paste("svyratio(~api.stu, ~enroll, d, na.rm=TRUE, deff=TRUE); d <-", C2))
overall("clus2_0_mean_api00", svymean, "api00", d_clus2_0, paste("svymean(~api00, d, deff=TRUE); d <-", C20))
by_domains("clus2_0_mean_api00_by_stype", svymean, "api00", "stype", d_clus2_0,
           paste("svyby(~api00, ~stype, d, svymean, deff=TRUE); d <-", C20))
overall("clus2_1_mean_api00", svymean, "api00", d_clus2_1, paste("svymean(~api00, d, deff=TRUE); d <-", C21))

# ---- NHANES: strata, two PSUs per stratum coded 1/2 in every stratum (nest=TRUE)
overall("nh_mean_chol", svymean, "HI_CHOL", d_nh, paste("svymean(~HI_CHOL, d, na.rm=TRUE, deff=TRUE); d <-", NH))
overall("nh_total_chol", svytotal, "HI_CHOL", d_nh, paste("svytotal(~HI_CHOL, d, na.rm=TRUE, deff=TRUE); d <-", NH))
by_domains("nh_mean_chol_by_race", svymean, "HI_CHOL", "race", d_nh,
           paste("svyby(~HI_CHOL, ~race, d, svymean, na.rm=TRUE, deff=TRUE); d <-", NH))
by_domains("nh_mean_chol_by_race_agecat", svymean, "HI_CHOL", c("race", "agecat"), d_nh,
           paste("svyby(~HI_CHOL, ~race+agecat, d, svymean, na.rm=TRUE, deff=TRUE); d <-", NH))
ciprop("nh_prop_chol_logit", "HI_CHOL", d_nh, "logit",
       paste("svyciprop(~HI_CHOL, subset(d, !is.na(HI_CHOL)), method='logit'); d <-", NH))
ciprop_by("nh_prop_chol_logit_by_race", "HI_CHOL", "race", d_nh, "logit",
          paste("svyby(~HI_CHOL, ~race, subset(d, !is.na(HI_CHOL)), svyciprop, method='logit', vartype=c('se','ci')); d <-", NH))
ciprop_by("nh_prop_chol_beta_by_race_agecat", "HI_CHOL", c("race", "agecat"), d_nh, "beta",
          paste("svyby(~HI_CHOL, ~race+agecat, subset(d, !is.na(HI_CHOL)), svyciprop, method='beta', vartype=c('se','ci')); d <-", NH))

# ---- lonely PSUs
for (policy in c("remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu = policy, survey.adjust.domain.lonely = FALSE)
  L <- paste0("options(survey.lonely.psu='", policy, "'); d <- svydesign(id=~SDMVPSU, strata=~SDMVSTRA, ",
              "weights=~WTMEC2YR, nest=TRUE, data=nhanes_without_stratum75_psu2)")
  d_l <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nh_lonely)
  overall(paste0("lonely_", policy, "_nh_mean"), svymean, "HI_CHOL", d_l,
          paste("svymean(~HI_CHOL, d, na.rm=TRUE, deff=TRUE);", L))
  overall(paste0("lonely_", policy, "_nh_total"), svytotal, "HI_CHOL", d_l,
          paste("svytotal(~HI_CHOL, d, na.rm=TRUE, deff=TRUE);", L))
  by_domains(paste0("lonely_", policy, "_nh_by_race"), svymean, "HI_CHOL", "race", d_l,
             paste("svyby(~HI_CHOL, ~race, d, svymean, na.rm=TRUE, deff=TRUE);", L))
  Ls <- paste0("options(survey.lonely.psu='", policy, "'); d <- svydesign(id=~1, strata=~stype, ",
               "weights=~pw, data=apistrat_with_one_H_school)")
  d_ls <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = lonely_strat)
  overall(paste0("lonely_", policy, "_strat_mean"), svymean, "api00", d_ls,
          paste("svymean(~api00, d, deff=TRUE);", Ls))
  by_domains(paste0("lonely_", policy, "_strat_by_awards"), svymean, "api00", "awards", d_ls,
             paste("svyby(~api00, ~awards, d, svymean, deff=TRUE);", Ls))
}
for (policy in c("adjust", "average", "remove")) {
  options(survey.lonely.psu = policy, survey.adjust.domain.lonely = TRUE)
  L <- paste0("options(survey.lonely.psu='", policy, "', survey.adjust.domain.lonely=TRUE); ",
              "d <- svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, ",
              "data=nhanes_without_stratum75_psu2)")
  d_l <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nh_lonely)
  suppressWarnings(by_domains(paste0("domainlonely_", policy, "_nh_by_race_agecat"), svymean, "HI_CHOL",
                              c("race", "agecat"), d_l,
                              paste("svyby(~HI_CHOL, ~race+agecat, d, svymean, na.rm=TRUE, deff=TRUE);", L)))
}
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

# ---------------------------------------------------------------- calibration (issue 4, item 1)
# postStratify / rake keep the calibration in the variance (svyrecvar uses residuals from it);
# trimWeights only changes the weights.
pop_stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_sw <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop_nh_race_sex <- data.frame(race = rep(1:4, 2), RIAGENDR = rep(1:2, each = 4),
                              Freq = c(2.2e7, 7.0e7, 1.5e7, 6.0e6, 2.3e7, 7.2e7, 1.6e7, 6.5e6))
tab_nh <- as.data.frame(svytable(~agecat + RIAGENDR, d_nh))
tab_nh$Freq <- round(tab_nh$Freq)
tab_nh$agecat <- as.character(tab_nh$agecat)
tab_nh$RIAGENDR <- as.integer(as.character(tab_nh$RIAGENDR))
race_share <- c(0.17, 0.50, 0.22)
pop_nh_race <- data.frame(race = 1:4, Freq = c(round(race_share * sum(tab_nh$Freq)),
                                               sum(tab_nh$Freq) - sum(round(race_share * sum(tab_nh$Freq)))))
write.csv(pop_nh_race_sex, file.path(out, "population_nhanes_race_sex.csv"), row.names = FALSE)
write.csv(tab_nh, file.path(out, "population_nhanes_age_sex.csv"), row.names = FALSE)
write.csv(pop_nh_race, file.path(out, "population_nhanes_race.csv"), row.names = FALSE)

d_ps_strat <- postStratify(d_strat, ~stype, pop_stype)
d_ps_clus2 <- postStratify(d_clus2, ~stype, pop_stype)
d_ps_nh <- postStratify(d_nh, ~race + RIAGENDR, pop_nh_race_sex)
d_rake_clus1 <- rake(d_clus1, list(~stype, ~sch.wide), list(pop_stype, pop_sw))
d_rake_clus1_tight <- rake(d_clus1, list(~stype, ~sch.wide), list(pop_stype, pop_sw),
                           control = list(epsilon = 1e-10, maxit = 100))
d_rake_nh <- rake(d_nh, list(~race, ~agecat + RIAGENDR), list(pop_nh_race, tab_nh),
                  control = list(epsilon = 1e-10, maxit = 100))
d_trim_strat0 <- trimWeights(d_strat0, upper = 40, lower = 18)
d_trim_rake_clus1 <- trimWeights(d_rake_clus1, upper = 36, strict = TRUE)

PS <- paste("postStratify(d, ~stype, data.frame(stype=c('E','H','M'), Freq=c(4421,755,1018))); d <-", S)
PC2 <- paste("postStratify(d, ~stype, pop_stype); d <-", C2)
PNH <- paste("postStratify(d, ~race+RIAGENDR, population_nhanes_race_sex.csv); d <-", NH)
RC1 <- paste("rake(d, list(~stype, ~sch.wide), list(pop_stype, data.frame(sch.wide=c('No','Yes'), Freq=c(1072,5122)))); d <-", C1)
RC1T <- paste("rake(d, list(~stype, ~sch.wide), list(pop_stype, pop_sw), control=list(epsilon=1e-10, maxit=100)); d <-", C1)
RNH <- paste("rake(d, list(~race, ~agecat+RIAGENDR), list(population_nhanes_race.csv, population_nhanes_age_sex.csv),",
             "control=list(epsilon=1e-10, maxit=100)); d <-", NH)
TS0 <- paste("trimWeights(d, upper=40, lower=18); d <-", S0)
TRC1 <- paste("trimWeights(rake(...as rake_clus1...), upper=36, strict=TRUE); d <-", C1)

overall("ps_strat_mean_api00", svymean, "api00", d_ps_strat, paste("svymean(~api00, d, deff=TRUE); d <-", PS))
overall("ps_strat_total_enroll", svytotal, "enroll", d_ps_strat, paste("svytotal(~enroll, d, deff=TRUE); d <-", PS))
by_domains("ps_strat_mean_api00_by_awards", svymean, "api00", "awards", d_ps_strat,
           paste("svyby(~api00, ~awards, d, svymean, deff=TRUE); d <-", PS))
ciprop("ps_strat_prop_both_logit", "both_yes", d_ps_strat, "logit", paste("svyciprop(~both_yes, d); d <-", PS))
ciprop_by("ps_strat_prop_both_logit_by_stype", "both_yes", "stype", d_ps_strat, "logit",
          paste("svyby(~both_yes, ~stype, d, svyciprop, method='logit', vartype=c('se','ci')); d <-", PS))
ratio_case("ps_strat_ratio_stu_enroll", "api.stu", "enroll", d_ps_strat,
           paste("svyratio(~api.stu, ~enroll, d, deff=TRUE); d <-", PS))
overall("ps_clus2_mean_api00", svymean, "api00", d_ps_clus2, paste("svymean(~api00, d, deff=TRUE); d <-", PC2))
by_domains("ps_clus2_mean_api00_by_awards", svymean, "api00", "awards", d_ps_clus2,
           paste("svyby(~api00, ~awards, d, svymean, deff=TRUE); d <-", PC2))
overall("ps_nh_mean_chol", svymean, "HI_CHOL", d_ps_nh, paste("svymean(~HI_CHOL, d, na.rm=TRUE, deff=TRUE); d <-", PNH))
by_domains("ps_nh_mean_chol_by_agecat", svymean, "HI_CHOL", "agecat", d_ps_nh,
           paste("svyby(~HI_CHOL, ~agecat, d, svymean, na.rm=TRUE, deff=TRUE); d <-", PNH))
ciprop_by("ps_nh_prop_chol_logit_by_race", "HI_CHOL", "race", d_ps_nh, "logit",
          paste("svyby(~HI_CHOL0, ~race+present, d, svyciprop, method='logit', vartype=c('se','ci')) with HI_CHOL0 = HI_CHOL or 0, present = !is.na(HI_CHOL), rows present=TRUE; d <-", PNH))

overall("rake_clus1_mean_api00", svymean, "api00", d_rake_clus1, paste("svymean(~api00, d, deff=TRUE); d <-", RC1))
overall("rake_clus1_total_enroll", svytotal, "enroll", d_rake_clus1, paste("svytotal(~enroll, d, deff=TRUE); d <-", RC1))
by_domains("rake_clus1_mean_api00_by_stype", svymean, "api00", "stype", d_rake_clus1,
           paste("svyby(~api00, ~stype, d, svymean, deff=TRUE); d <-", RC1))
by_domains("rake_clus1_mean_api00_by_awards", svymean, "api00", "awards", d_rake_clus1,
           paste("svyby(~api00, ~awards, d, svymean, deff=TRUE); d <-", RC1))
suppressWarnings(ciprop_by("rake_clus1_prop_sw_logit_by_stype", "sch_wide_yes", "stype", d_rake_clus1, "logit",
          paste("svyby(~sch_wide_yes, ~stype, d, svyciprop, method='logit', vartype=c('se','ci')); d <-", RC1)))
suppressWarnings(ciprop_by("rake_clus1_prop_both_beta_by_stype", "both_yes", "stype",
                           update(d_rake_clus1, both_yes = as.numeric(both == "Yes")), "beta",
          paste("svyby(~both_yes, ~stype, d, svyciprop, method='beta', vartype=c('se','ci')); d <-", RC1)))
overall("rake_clus1_tight_mean_api00", svymean, "api00", d_rake_clus1_tight,
        paste("svymean(~api00, d, deff=TRUE); d <-", RC1T))
overall("rake_nh_mean_chol", svymean, "HI_CHOL", d_rake_nh, paste("svymean(~HI_CHOL, d, na.rm=TRUE, deff=TRUE); d <-", RNH))
by_domains("rake_nh_mean_chol_by_race_agecat", svymean, "HI_CHOL", c("race", "agecat"), d_rake_nh,
           paste("svyby(~HI_CHOL, ~race+agecat, d, svymean, na.rm=TRUE, deff=TRUE); d <-", RNH))
overall("trim_strat0_mean_api00", svymean, "api00", d_trim_strat0, paste("svymean(~api00, d, deff=TRUE); d <-", TS0))
by_domains("trim_strat0_mean_api00_by_awards", svymean, "api00", "awards", d_trim_strat0,
           paste("svyby(~api00, ~awards, d, svymean, deff=TRUE); d <-", TS0))
overall("trim_rake_clus1_mean_api00", svymean, "api00", d_trim_rake_clus1, paste("svymean(~api00, d, deff=TRUE); d <-", TRC1))
by_domains("trim_rake_clus1_mean_api00_by_stype", svymean, "api00", "stype", d_trim_rake_clus1,
           paste("svyby(~api00, ~stype, d, svymean, deff=TRUE); d <-", TRC1))

# ---------------------------------------------------------------- standardisation (issue 4, item 2)
# svystandardize = postStratify to (standard share of the by-cell) x (weighted total of the over-cell);
# the population vector follows the order of svytable(by) on the rows kept.
std_age <- data.frame(agecat = c("(0,19]", "(19,39]", "(39,59]", "(59,Inf]"),
                      population = c(27000, 30000, 26000, 17000))
std_age_sex <- data.frame(agecat = rep(std_age$agecat, 2), RIAGENDR = rep(1:2, each = 4),
                          population = c(13800, 15100, 12900, 7600, 13200, 14900, 13100, 9400))
write.csv(std_age, file.path(out, "standard_nhanes_age.csv"), row.names = FALSE)
write.csv(std_age_sex, file.path(out, "standard_nhanes_age_sex.csv"), row.names = FALSE)
d_std_nh <- svystandardize(d_nh, by = ~agecat, over = ~race, population = std_age$population,
                           excluding.missing = ~HI_CHOL)
d_std_nh_all <- svystandardize(d_nh, by = ~agecat, over = ~1, population = std_age$population,
                               excluding.missing = ~HI_CHOL)
d_std_nh_sex <- svystandardize(d_nh, by = ~agecat + RIAGENDR, over = ~race, population = std_age_sex$population,
                               excluding.missing = ~HI_CHOL)
SNH <- paste("svystandardize(d, by=~agecat, over=~race, population=standard_nhanes_age.csv, excluding.missing=~HI_CHOL); d <-", NH)
SNH1 <- paste("svystandardize(d, by=~agecat, over=~1, population=standard_nhanes_age.csv, excluding.missing=~HI_CHOL); d <-", NH)
SNHS <- paste("svystandardize(d, by=~agecat+RIAGENDR, over=~race, population=standard_nhanes_age_sex.csv, excluding.missing=~HI_CHOL); d <-", NH)
by_domains("std_nh_mean_chol_by_race", svymean, "HI_CHOL", "race", d_std_nh,
           paste("svyby(~HI_CHOL, ~race, d, svymean, na.rm=TRUE, deff=TRUE); d <-", SNH))
ciprop_by("std_nh_prop_chol_logit_by_race", "HI_CHOL", "race", d_std_nh, "logit",
          paste("svyby(~HI_CHOL, ~race, d, svyciprop, method='logit', vartype=c('se','ci')); d <-", SNH))
ciprop("std_nh_all_prop_chol_logit", "HI_CHOL", d_std_nh_all, "logit", paste("svyciprop(~HI_CHOL, d); d <-", SNH1))
by_domains("std_nh_sex_mean_chol_by_race", svymean, "HI_CHOL", "race", d_std_nh_sex,
           paste("svyby(~HI_CHOL, ~race, d, svymean, na.rm=TRUE, deff=TRUE); d <-", SNHS))
ciprop_by("std_nh_sex_prop_chol_logit_by_race", "HI_CHOL", "race", d_std_nh_sex, "logit",
          paste("svyby(~HI_CHOL, ~race, d, svyciprop, method='logit', vartype=c('se','ci')); d <-", SNHS))

# ---------------------------------------------------------------- demo study (issue 4, item 3)
# data_demo.csv, margins_demo.csv and standard_demo.csv are written by
# `python -m survey.demo.reference_export` from the demo's processed/scored.parquet.
demo_file <- file.path(out, "data_demo.csv")
if (file.exists(demo_file)) {
  demo <- read.csv(demo_file, stringsAsFactors = FALSE)
  demo$design_stratum <- paste(demo$wave, demo$district, demo$urban_rural, sep = ":")
  # two stages: streets/towns (FPC = streets/towns in the stratum), then communities taken
  # with replacement (infinite second-stage population), as survey.estimation.prevalence.survey_design
  demo$fpc_ssu <- Inf
  d_demo <- svydesign(id = ~psu + community, strata = ~design_stratum, fpc = ~stratum_psus + fpc_ssu,
                      weights = ~weight, nest = TRUE, data = demo)
  margins <- read.csv(file.path(out, "margins_demo.csv"), stringsAsFactors = FALSE)
  m_sex <- aggregate(population ~ wave + district + sex, data = margins, FUN = sum)
  m_age <- aggregate(population ~ wave + district + age_group, data = margins, FUN = sum)
  d_demo_raked <- rake(d_demo, list(~wave + district + sex, ~wave + district + age_group), list(m_sex, m_age),
                       control = list(epsilon = 1e-8, maxit = 50))
  standard <- read.csv(file.path(out, "standard_demo.csv"), stringsAsFactors = FALSE)
  DD <- paste("svydesign(id=~psu+community, strata=~wave:district:urban_rural, fpc=~stratum_psus+Inf, weights=~weight,",
              "nest=TRUE, data=data_demo.csv)")
  DR <- paste("rake(d, list(~wave+district+sex, ~wave+district+age_group), margins_demo.csv,",
              "control=list(epsilon=1e-8, maxit=50)); d <-", DD)
  indicators <- c(literacy = "nmhl_adequate", depression = "phq9_positive", anxiety = "gad7_positive",
                  insomnia = "isi_positive", dementia_screen = "ad8_positive", perinatal_depression = "epds_positive")
  for (id in names(indicators)) {
    var <- indicators[[id]]
    present <- sort(unique(demo$age_group[!is.na(demo[[var]])]))
    pop <- standard$population[match(present, standard$age_group)]
    for (level in c("city", "district")) {
      byvars <- if (level == "city") "wave" else c("wave", "district")
      over <- as.formula(paste0("~", paste(byvars, collapse = "+")))
      call <- paste0("svyby(~", var, ", ~", paste(byvars, collapse = "+"),
                     ", d, svyciprop, method='logit', vartype=c('se','ci')); d <- ")
      ciprop_by(paste("demo_crude", id, level, sep = "_"), var, byvars, d_demo, "logit", paste0(call, DD))
      suppressWarnings(ciprop_by(paste("demo_raked", id, level, sep = "_"), var, byvars, d_demo_raked, "logit",
                                 paste0(call, "(missing outcome as a domain, see ciprop_by) ", DR)))
      d_std <- svystandardize(d_demo, by = ~age_group, over = over, population = pop,
                              excluding.missing = as.formula(paste0("~", var)))
      suppressWarnings(ciprop_by(paste("demo_standardised", id, level, sep = "_"), var, byvars, d_std, "logit",
                paste0(call, "svystandardize(d, by=~age_group, over=~", paste(byvars, collapse = "+"),
                       ", population=standard_demo.csv, excluding.missing=~", var, "); d <- ", DD)))
    }
  }
  by_domains("demo_crude_mean_depression_district", svymean, "phq9_positive", c("wave", "district"), d_demo,
             paste("svyby(~phq9_positive, ~wave+district, d, svymean, na.rm=TRUE, deff=TRUE); d <-", DD))
  by_domains("demo_raked_mean_literacy_district", svymean, "nmhl_adequate", c("wave", "district"), d_demo_raked,
             paste("svyby(~nmhl_adequate, ~wave+district, d, svymean, na.rm=TRUE, deff=TRUE); d <-", DR))
} else {
  warning("data_demo.csv not found: run `python -m survey.demo.reference_export` first; demo cases skipped")
}

estimates <- do.call(rbind, rows)
write.csv(estimates, file.path(out, "estimates.csv"), row.names = FALSE, na = "")

# ---------------------------------------------------------------- chi-square tests
chisq_rows <- list()
chisq_case <- function(case, formula, design, design_call) {
  for (statistic in c("F", "Chisq")) {
    t <- svychisq(formula, design, statistic = statistic)
    chisq_rows[[length(chisq_rows) + 1]] <<- data.frame(
      case = case, statistic_type = statistic, statistic = fmt(t$statistic),
      ndf = fmt(if (statistic == "F") t$parameter[["ndf"]] else t$parameter[["df"]]),
      ddf = fmt(if (statistic == "F") t$parameter[["ddf"]] else NA),
      p_value = fmt(t$p.value),
      r_call = paste0("svychisq(", deparse(formula), ", d, statistic='", statistic, "'); d <- ", design_call),
      stringsAsFactors = FALSE)
  }
}
chisq_case("clus1_schwide_stype", ~sch.wide + stype, d_clus1, C1)
chisq_case("strat_awards_stype", ~awards + stype, d_strat, S)
chisq_case("nh_chol_race", ~HI_CHOL + race, d_nh, NH)
chisq_case("nh_race_agecat", ~race + agecat, d_nh, NH)
write.csv(do.call(rbind, chisq_rows), file.path(out, "chisq.csv"), row.names = FALSE, na = "")

# ---------------------------------------------------------------- domain differences
contrast_rows <- list()
contrast_case <- function(case, var, byvar, design, first, second, call) {
  design <- design[!is.na(design$variables[[var]]), ]
  if (is.null(design$postStrata)) {
    b <- svyby(as.formula(paste0("~", var)), as.formula(paste0("~", byvar)), design, svymean, covmat = TRUE)
    w <- setNames(rep(0, nrow(b)), rownames(b))
    w[as.character(first)] <- 1
    w[as.character(second)] <- -1
    con <- svycontrast(b, w)
    covariance <- vcov(b)[as.character(first), as.character(second)]
    r_call <- paste0("b <- svyby(~", var, ", ~", byvar, ", d, svymean, covmat=TRUE); confint(svycontrast(b, c('",
                     first, "'=1, '", second, "'=-1))); d <- ", call)
  } else {
    # svyby(..., covmat=TRUE) stops on a calibrated design in survey 4.1 ("number of items to
    # replace is not a multiple of replacement length"); the two domain means as ratios of
    # totals give the same estimates and covariance
    v <- design$variables
    inside <- !is.na(v[[var]]) & weights(design) > 0
    design$variables$y1_ <- ifelse(inside & v[[byvar]] == first, v[[var]], 0)
    design$variables$y2_ <- ifelse(inside & v[[byvar]] == second, v[[var]], 0)
    design$variables$d1_ <- as.numeric(inside & v[[byvar]] == first)
    design$variables$d2_ <- as.numeric(inside & v[[byvar]] == second)
    b <- svyratio(~y1_ + y2_, ~d1_ + d2_, design, covmat = TRUE)
    con <- svycontrast(b, c(1, 0, 0, -1))
    covariance <- vcov(b)[1, 4]
    r_call <- paste0("b <- svyratio(~y1+y2, ~d1+d2, d, covmat=TRUE) with y_k = ", var, " x (", byvar, "==k), d_k = (",
                     byvar, "==k), k = ", first, ", ", second, "; confint(svycontrast(b, c(1,0,0,-1))); d <- ", call)
  }
  ci <- confint(con)
  contrast_rows[[length(contrast_rows) + 1]] <<- data.frame(
    case = case, first = paste0(byvar, "=", first), second = paste0(byvar, "=", second),
    estimate = fmt(coef(con)), se = fmt(SE(con)), ci_low = fmt(ci[1]), ci_high = fmt(ci[2]),
    covariance = fmt(covariance), r_call = r_call, stringsAsFactors = FALSE)
}
contrast_case("clus1_api00_E_H", "api00", "stype", d_clus1, "E", "H", C1)
contrast_case("clus1_sw_E_M", "sch_wide_yes", "stype", d_clus1, "E", "M", C1)
contrast_case("nh_chol_sex", "HI_CHOL", "RIAGENDR", d_nh, 1, 2, paste0("subset(", NH, ", !is.na(HI_CHOL))"))
contrast_case("nh_chol_race_1_3", "HI_CHOL", "race", d_nh, 1, 3, paste0("subset(", NH, ", !is.na(HI_CHOL))"))
contrast_case("clus2_api00_E_M", "api00", "stype", d_clus2, "E", "M", C2)
contrast_case("rake_clus1_api00_E_M", "api00", "stype", d_rake_clus1, "E", "M", RC1)
contrast_case("ps_strat_api00_awards", "api00", "awards", d_ps_strat, "No", "Yes", PS)
contrast_case("std_nh_chol_race_1_2", "HI_CHOL", "race", d_std_nh, 1, 2, SNH)
write.csv(do.call(rbind, contrast_rows), file.path(out, "contrasts.csv"), row.names = FALSE, na = "")

write.csv(data.frame(item = c("R", "survey"),
                     version = c(R.version.string, as.character(packageVersion("survey")))),
          file.path(out, "versions.csv"), row.names = FALSE)
cat("wrote", nrow(estimates), "estimate rows to", out, "\n")
