# Reference numbers for survey.estimation, computed with R's survey package.
#
# Regenerate (from the repository root; needs R with the survey package, e.g. Debian's
# r-cran-survey):
#
#     Rscript tests/reference/survey_estimates.R
#
# Writes into tests/reference/fixtures/survey/:
#   data_*.csv      the input data sets exactly as R holds them (api: apistrat, apiclus1,
#                   apiclus2; nhanes; plus derived 0/1 columns and two designs with lonely PSUs).
#                   Every R number below is computed from these CSV files as read back by R,
#                   so Python reads the identical data.
#   estimates.csv   one row per case x domain: estimate, se, ci_low, ci_high, df, deff, and
#                   the R call that produced it (column r_call).
#   chisq.csv       svychisq() results (second order F and first order Chisq).
#   contrasts.csv   svycontrast() on svyby(..., covmat=TRUE): difference of two domains.
#   versions.csv    R and survey package versions.
# Numbers are written with 17 significant digits.
#
# Conventions checked (see src/survey/estimation): domains via svyby (subset = zero weight),
# na.rm=TRUE, df of a domain = degf() of the complete-case domain subset, deff=TRUE (SRS
# without replacement), svyciprop "logit" and "beta" (Korn-Graubard, R's version).

suppressPackageStartupMessages(library(survey))

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
  design <- design[!is.na(design$variables[[var]]), ]
  tab <- svyby(as.formula(paste0("~", var)), as.formula(paste0("~", paste(byvars, collapse = "+"))),
               design, svyciprop, method = method, vartype = c("se", "ci"))
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
  b <- svyby(as.formula(paste0("~", var)), as.formula(paste0("~", byvar)), design, svymean, covmat = TRUE)
  w <- setNames(rep(0, nrow(b)), rownames(b))
  w[as.character(first)] <- 1
  w[as.character(second)] <- -1
  con <- svycontrast(b, w)
  ci <- confint(con)
  contrast_rows[[length(contrast_rows) + 1]] <<- data.frame(
    case = case, first = paste0(byvar, "=", first), second = paste0(byvar, "=", second),
    estimate = fmt(coef(con)), se = fmt(SE(con)), ci_low = fmt(ci[1]), ci_high = fmt(ci[2]),
    covariance = fmt(vcov(b)[as.character(first), as.character(second)]),
    r_call = paste0("b <- svyby(~", var, ", ~", byvar, ", d, svymean, covmat=TRUE); confint(svycontrast(b, c('",
                    first, "'=1, '", second, "'=-1))); d <- ", call),
    stringsAsFactors = FALSE)
}
contrast_case("clus1_api00_E_H", "api00", "stype", d_clus1, "E", "H", C1)
contrast_case("clus1_sw_E_M", "sch_wide_yes", "stype", d_clus1, "E", "M", C1)
contrast_case("nh_chol_sex", "HI_CHOL", "RIAGENDR", d_nh, 1, 2, paste0("subset(", NH, ", !is.na(HI_CHOL))"))
contrast_case("nh_chol_race_1_3", "HI_CHOL", "race", d_nh, 1, 3, paste0("subset(", NH, ", !is.na(HI_CHOL))"))
contrast_case("clus2_api00_E_M", "api00", "stype", d_clus2, "E", "M", C2)
write.csv(do.call(rbind, contrast_rows), file.path(out, "contrasts.csv"), row.names = FALSE, na = "")

write.csv(data.frame(item = c("R", "survey"),
                     version = c(R.version.string, as.character(packageVersion("survey")))),
          file.path(out, "versions.csv"), row.names = FALSE)
cat("wrote", nrow(estimates), "estimate rows to", out, "\n")
