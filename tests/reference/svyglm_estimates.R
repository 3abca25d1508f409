# Reference numbers for survey.effects.svyglm (and the demo DiD model), from R's survey package.
#
# Regenerate everything (from the repository root; needs R with the survey package, e.g.
# Debian's r-cran-survey, and the workspace's .venv for the demo export):
#
#     Rscript tests/reference/svyglm_estimates.R
#
# Step 1 runs `.venv/bin/python tests/effects/export_demo_fixture.py`, which writes the demo
# study's difference-in-differences data (no identifiers: design codes, covariates, outcomes)
# to fixtures/effects/data_demo_did.csv.gz. Without that interpreter the committed file is used.
# Step 2 fits every case below and writes into tests/reference/fixtures/effects/:
#   svyglm.csv     one row per case x coefficient: estimate, se, statistic (t), df
#                  (= degf(design) + 1 - p, what summary.svyglm uses), p_value, ci_low,
#                  ci_high (confint.svyglm, Wald with that df), the formula and the R call.
#   panel.csv      pre/post tests and effect sizes on a synthetic panel (data_panel.csv, made
#                  here): t.test, wilcox.test, mcnemar.test, binom.test, Cohen's d_z with its
#                  noncentral-t interval, Hedges' g_z, paired risk difference and odds ratio.
#   its.csv        Poisson segmented regressions of data/demo/raw/service_monthly.csv (each
#                  district and the pilots' sum) with Newey-West SEs.
#   versions.csv   R and survey package versions.
# The api and nhanes data are the CSV files already written by survey_estimates.R into
# tests/reference/fixtures/survey/ (read back here exactly as Python reads them).
# Numbers are written with 17 significant digits. Binomial and Poisson models are fitted as
# quasibinomial / quasipoisson (same estimates and design-based SEs, no warnings about
# non-integer weighted counts), with a tight convergence criterion and a second pass started at
# the estimate, so that R's sandwich is evaluated at the maximum of the weighted likelihood.

suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- if (length(script)) normalizePath(file.path(dirname(script), "..", "..")) else getwd()
survey_dir <- file.path(root, "tests", "reference", "fixtures", "survey")
out <- file.path(root, "tests", "reference", "fixtures", "effects")
dir.create(out, recursive = TRUE, showWarnings = FALSE)

python <- file.path(root, ".venv", "bin", "python")
if (file.exists(python)) {
  # R puts its own library folders on LD_LIBRARY_PATH; Python must not load libraries from there
  status <- system2("env", c("-u", "LD_LIBRARY_PATH", python,
                             file.path(root, "tests", "effects", "export_demo_fixture.py")))
  if (status != 0) stop("the demo export failed (status ", status, ")")
} else {
  message("no .venv/bin/python: using the committed data_demo_did.csv.gz")
}

fmt <- function(x) {
  x <- as.numeric(unname(as.vector(x)))
  ifelse(is.na(x), NA_character_, sprintf("%.17g", x))
}
read <- function(name) read.csv(file.path(survey_dir, name), stringsAsFactors = FALSE)
strat <- read("data_apistrat.csv")
clus1 <- read("data_apiclus1.csv")
clus2 <- read("data_apiclus2.csv")
nh <- read("data_nhanes.csv")
nh_lonely <- read("data_nhanes_lonely.csv")
demo <- read.csv(gzfile(file.path(out, "data_demo_did.csv.gz")), stringsAsFactors = FALSE)

options(survey.lonely.psu = "fail")
d_strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
d_strat0 <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat)
d_clus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
d_clus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = clus2)
d_clus2_0 <- svydesign(id = ~dnum + snum, weights = ~pw, data = clus2)
d_nh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nh)
d_demo <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, fpc = ~stratum_psus, nest = TRUE, data = demo)
d_demo0 <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = demo)

S <- "svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)"
S0 <- "svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat)"
C1 <- "svydesign(id=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)"
C2 <- "svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, weights=~pw, data=apiclus2)"
C20 <- "svydesign(id=~dnum+snum, weights=~pw, data=apiclus2)"
NH <- "svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=nhanes)"
NHL <- "svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=nhanes_without_stratum75_psu2)"
DM <- "svydesign(id=~psu, strata=~stratum, weights=~weight, fpc=~stratum_psus, nest=TRUE, data=demo_did)"
DM0 <- "svydesign(id=~psu, strata=~stratum, weights=~weight, nest=TRUE, data=demo_did)"

rows <- list()
fit_case <- function(case, formula, design, family, design_call, subset_call = NULL, fit = NULL) {
  fam_call <- deparse(substitute(family))
  if (is.null(fit)) {
    # do.call puts the values into the call that svyglm hands on to glm()
    args <- list(formula = formula, design = design, family = family,
                 control = glm.control(epsilon = 1e-14, maxit = 200))
    fit <- do.call(svyglm, args)
    # glm() computes the working weights (and so the sandwich) from the next-to-last
    # iteration; one more pass started at the estimate puts them at the estimate itself
    fit <- do.call(svyglm, c(args, list(start = unname(coef(fit)))))
  }
  s <- summary(fit)$coefficients
  ci <- confint(fit)
  call <- paste0("svyglm(", deparse(formula, width.cutoff = 500), ", design=d, family=", fam_call, ")",
                 if (is.null(subset_call)) "" else paste0(" with d <- subset(d, ", subset_call, ")"),
                 "; d <- ", design_call)
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, position = seq_len(nrow(s)), term = rownames(s),
    estimate = fmt(s[, 1]), se = fmt(s[, 2]), statistic = fmt(s[, 3]),
    df = fmt(rep(fit$df.residual, nrow(s))), p_value = fmt(s[, 4]),
    ci_low = fmt(ci[, 1]), ci_high = fmt(ci[, 2]),
    formula = deparse(formula, width.cutoff = 500), family = fam_call, r_call = call,
    stringsAsFactors = FALSE)
}

# ---- apistrat: stratified element sample (with and without FPC)
fit_case("strat_gaussian", api00 ~ api99 + stype, d_strat, gaussian(), S)
fit_case("strat0_gaussian", api00 ~ api99 + stype, d_strat0, gaussian(), S0)
fit_case("strat_binomial", both_yes ~ api99 + stype, d_strat, quasibinomial(), S)
fit_case("strat_poisson", api.stu ~ api99 + stype, d_strat, quasipoisson(), S)

# ---- apiclus1: one-stage cluster sample; and a domain (subset keeps the whole design)
fit_case("clus1_gaussian", api00 ~ api99 + stype, d_clus1, gaussian(), C1)
fit_case("clus1_binomial", sch_wide_yes ~ api99, d_clus1, quasibinomial(), C1)
fit_case("clus1_poisson", enroll ~ api99 + stype, d_clus1, quasipoisson(), C1)
fit_case("clus1_gaussian_subset_E", api00 ~ api99, subset(d_clus1, stype == "E"), gaussian(), C1,
         subset_call = "stype == 'E'")

# ---- apiclus2: two-stage cluster sample (FPC at both stages, and none); enroll has NAs
fit_case("clus2_gaussian", api00 ~ api99 + enroll, d_clus2, gaussian(), C2)
fit_case("clus2_0_gaussian", api00 ~ api99 + enroll, d_clus2_0, gaussian(), C20)
fit_case("clus2_binomial", sch_wide_yes ~ api99, d_clus2, quasibinomial(), C2)
fit_case("clus2_poisson", api.stu ~ stype, d_clus2, quasipoisson(), C2)

# ---- NHANES: strata with two PSUs each (nest=TRUE); HI_CHOL has NAs
fit_case("nh_binomial", HI_CHOL ~ factor(race) + factor(agecat) + factor(RIAGENDR), d_nh, quasibinomial(), NH)
fit_case("nh_gaussian", HI_CHOL ~ factor(race) + factor(agecat) + factor(RIAGENDR), d_nh, gaussian(), NH)
fit_case("nh_poisson", HI_CHOL ~ factor(race) + factor(agecat), d_nh, quasipoisson(), NH)
options(survey.lonely.psu = "adjust")
d_nhl <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nh_lonely)
fit_case("nh_lonely_adjust_binomial", HI_CHOL ~ factor(race) + factor(RIAGENDR), d_nhl, quasibinomial(),
         paste0("options(survey.lonely.psu='adjust'); ", NHL))
options(survey.lonely.psu = "fail")

# ---- the demo study's difference-in-differences models (strata = wave x district x urban/rural)
covariates <- "factor(sex) + factor(age_group) + factor(education) + factor(urban_rural)"
did <- function(y) as.formula(paste(y, "~ treated + factor(district) + factor(wave) +", covariates))
fit_case("demo_did_literacy_lpm", did("nmhl_adequate"), d_demo, gaussian(), DM)
fit_case("demo_did_literacy_logit", did("nmhl_adequate"), d_demo, quasibinomial(), DM)
fit_case("demo_did_depression_lpm", did("phq9_positive"), d_demo, gaussian(), DM)
fit_case("demo_did_depression_logit", did("phq9_positive"), d_demo, quasibinomial(), DM)
fit_case("demo_did_phq9_linear", did("phq9_total"), d_demo, gaussian(), DM)
fit_case("demo_did_phq9_poisson", did("phq9_total"), d_demo, quasipoisson(), DM)
fit_case("demo0_did_depression_lpm", did("phq9_positive"), d_demo0, gaussian(), DM0)

write.csv(do.call(rbind, rows), file.path(out, "svyglm.csv"), row.names = FALSE, na = "")

# ---------------------------------------------------------------- pre/post for panels
# A synthetic panel (written to data_panel.csv and read back, so Python uses the same values).
set.seed(20230901)
n <- 80
pre <- round(rnorm(n, 12, 4), 1)
panel <- data.frame(pre = pre, post = round(pre - 1.2 + rnorm(n, 0, 3), 1),
                    pre_pos = rbinom(n, 1, 0.4))
panel$post_pos <- ifelse(panel$pre_pos == 1, rbinom(n, 1, 0.55), rbinom(n, 1, 0.2))
write.csv(panel, file.path(out, "data_panel.csv"), row.names = FALSE)
panel <- read.csv(file.path(out, "data_panel.csv"))
d <- panel$post - panel$pre
tt <- t.test(panel$post, panel$pre, paired = TRUE)
wt <- suppressWarnings(wilcox.test(panel$post, panel$pre, paired = TRUE, exact = FALSE, correct = FALSE))
dz <- mean(d) / sd(d)
nct_limit <- function(t, df, p) uniroot(function(nc) pt(t, df, nc) - p, c(t - 20, t + 20), tol = 1e-13)$root
tz <- dz * sqrt(n)
hedges_j <- exp(lgamma((n - 1) / 2) - log(sqrt((n - 1) / 2)) - lgamma((n - 2) / 2))
tab <- table(factor(panel$pre_pos, levels = 0:1), factor(panel$post_pos, levels = 0:1))
b <- tab["1", "0"]; cc <- tab["0", "1"]
rd <- (cc - b) / n
rd_se <- sqrt((b + cc) - (cc - b)^2 / n) / n
z <- qnorm(0.975)
panel_rows <- data.frame(
  measure = c("mean_difference", "wilcoxon", "cohens_dz", "hedges_gz", "mcnemar_chisq", "mcnemar_exact",
              "risk_difference", "odds_ratio"),
  estimate = fmt(c(mean(d), NA, dz, hedges_j * dz, NA, NA, rd, cc / b)),
  ci_low = fmt(c(tt$conf.int[1], NA, nct_limit(tz, n - 1, 0.975) / sqrt(n),
                 hedges_j * nct_limit(tz, n - 1, 0.975) / sqrt(n), NA, NA, rd - z * rd_se,
                 exp(log(cc / b) - z * sqrt(1 / b + 1 / cc)))),
  ci_high = fmt(c(tt$conf.int[2], NA, nct_limit(tz, n - 1, 0.025) / sqrt(n),
                  hedges_j * nct_limit(tz, n - 1, 0.025) / sqrt(n), NA, NA, rd + z * rd_se,
                  exp(log(cc / b) + z * sqrt(1 / b + 1 / cc)))),
  statistic = fmt(c(tt$statistic, NA, NA, NA, mcnemar.test(tab)$statistic, NA, NA, NA)),
  p_value = fmt(c(tt$p.value, wt$p.value, NA, NA, mcnemar.test(tab)$p.value,
                  binom.test(b, b + cc)$p.value, NA, NA)),
  r_call = c("t.test(post, pre, paired=TRUE)",
             "wilcox.test(post, pre, paired=TRUE, exact=FALSE, correct=FALSE)",
             "mean(d)/sd(d); CI: uniroot on pt(t, n-1, ncp)",
             "J(n-1) * d_z, J = exp(lgamma((n-1)/2) - log(sqrt((n-1)/2)) - lgamma((n-2)/2))",
             "mcnemar.test(table(pre_pos, post_pos))", "binom.test(b, b + c)",
             "(c - b)/n, Wald SE sqrt((b + c) - (c - b)^2/n)/n", "c/b, Wald CI on the log scale"),
  stringsAsFactors = FALSE)
write.csv(panel_rows, file.path(out, "panel.csv"), row.names = FALSE, na = "")

# ---------------------------------------------------------------- interrupted time series
# Poisson segmented regression of the demo's monthly hotline calls, pilot start 2023-09, with a
# Newey-West (Bartlett kernel, no small-sample factor) sandwich written out here (the sandwich
# package is not on this machine): V = H^-1 S H^-1, S = sum_l w_l (G_l + G_l'), w_l = 1 - l/(L+1).
monthly <- read.csv(file.path(root, "data", "demo", "raw", "service_monthly.csv"), stringsAsFactors = FALSE)
newey_west <- function(fit, L) {
  X <- model.matrix(fit)
  s <- X * (fit$y - fitted(fit)) * fit$prior.weights  # Poisson, log link: score = x (y - mu)
  S <- crossprod(s)
  n <- nrow(s)
  for (l in seq_len(L)) {
    G <- crossprod(s[(l + 1):n, , drop = FALSE], s[1:(n - l), , drop = FALSE])
    S <- S + (1 - l / (L + 1)) * (G + t(G))
  }
  H_inv <- solve(crossprod(X * sqrt(fitted(fit))))
  H_inv %*% S %*% H_inv
}
its_rows <- list()
for (series in c(sort(unique(monthly$district)), "pilots")) {
  y <- if (series == "pilots") {
    agg <- aggregate(hotline_calls ~ month, monthly[monthly$district %in% c("linjiang", "qingshan", "yunxi"), ], sum)
    agg
  } else monthly[monthly$district == series, c("month", "hotline_calls")]
  y <- y[order(y$month), ]
  t <- seq_len(nrow(y)) - 1
  t0 <- which(y$month == "2023-09") - 1
  m <- as.integer(substr(y$month, 6, 7))
  df <- data.frame(calls = y$hotline_calls, t = t, post = as.numeric(t >= t0), since = pmax(t - t0, 0),
                   sin12 = sin(2 * pi * m / 12), cos12 = cos(2 * pi * m / 12))
  fit <- glm(calls ~ t + post + since + sin12 + cos12, family = poisson, data = df,
             control = glm.control(epsilon = 1e-14, maxit = 100))
  L <- floor(4 * (nrow(df) / 100)^(2 / 9))
  V <- newey_west(fit, L)
  for (term in c("t", "post", "since")) {
    its_rows[[length(its_rows) + 1]] <- data.frame(
      series = series, term = term, estimate = fmt(coef(fit)[term]), se = fmt(sqrt(V[term, term])),
      maxlags = L, r_call = "glm(calls ~ t + post + since + sin12 + cos12, family=poisson); Newey-West by hand",
      stringsAsFactors = FALSE)
  }
}
write.csv(do.call(rbind, its_rows), file.path(out, "its.csv"), row.names = FALSE, na = "")
write.csv(data.frame(item = c("R", "survey"),
                     version = c(R.version.string, as.character(packageVersion("survey")))),
          file.path(out, "versions.csv"), row.names = FALSE)
cat("wrote", sum(sapply(rows, nrow)), "coefficient rows to", out, "\n")
