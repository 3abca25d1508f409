# Reference numbers for replicate-weight designs (survey.estimation.replicates), svychisq's
# Wald and adjWald statistics and svyciprop's likelihood and asin intervals, from R's survey.
#
#     Rscript tests/reference/replicates.R      (or: sh tests/reference/survey_regenerate.sh)
#
# Writes the data it uses (data_replicates_apiclus1.csv, data_replicates_apistrat.csv: the api
# data with the model columns ell, meals, mobility; data_scd.csv, data_mu284.csv) and reads
# data_nhanes.csv, which survey_estimates.R wrote (the NHANES designs here leave out PSU 3 of
# stratum 86, column `drop` of replicates_designs.csv), so Python and R read the identical rows. Writes into tests/reference/fixtures/survey/:
#   replicates_weights_<design>.csv  (for the designs listed in `exported`) the replicate
#                   *analysis* weights R made (weights(d,
#                   "analysis"): one column rep1..repR per replicate, one row per data row, in
#                   the data file's order) plus the full-sample weight (column pw). Bootstrap
#                   draws are random: Python reads these columns instead of drawing again.
#   replicates_designs.csv  one row per design: data file, R call, type, scale, mse, rho,
#                   degf (R's degf(): rank of the analysis weights minus 1) and the number of
#                   replicates; replicates_rscales.csv: rscales of every replicate.
#   replicates_estimates.csv  one row per case x domain: estimate, se, ci_low, ci_high, df
#                   and the R call (column r_call).
#   replicates_chisq.csv    svychisq(statistic="Wald" / "adjWald") on linearisation designs and
#                   on two replicate designs (cases named after them).
#   replicates_ciprop.csv   svyciprop(method="likelihood" / "asin") on linearisation designs.
# Numbers are written with 17 significant digits.
#
# R's default is mse=FALSE (options("survey.replicates.mse") is FALSE): the variance is
# centred at the mean of the replicates; designs named *_mse use mse=TRUE (centred at the
# full-sample estimate).

suppressPackageStartupMessages(library(survey))

# svyglm (and svyciprop "logit"/"likelihood", which fit an intercept-only svyglm) use glm's
# default convergence test (relative deviance change < 1e-8); the fixtures hold converged
# numbers: glm's tolerance is tightened for this script, as in survey_estimates.R.
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

fmt <- function(x) {
  x <- as.numeric(unname(as.vector(x)))
  ifelse(is.na(x), NA_character_, sprintf("%.17g", x))
}

# ---------------------------------------------------------------- data
data(api)
keep <- c("cds", "stype", "dnum", "snum", "api00", "api99", "enroll", "api.stu", "ell", "meals",
          "mobility", "sch.wide", "pw", "fpc")
export <- function(df, file) {
  df <- df[, keep]
  df$sch_wide_yes <- as.numeric(df$sch.wide == "Yes")
  write.csv(df, file.path(out, file), row.names = FALSE)
  read.csv(file.path(out, file), stringsAsFactors = FALSE)
}
clus1 <- export(apiclus1, "data_replicates_apiclus1.csv")
strat <- export(apistrat, "data_replicates_apistrat.csv")
nh <- read.csv(file.path(out, "data_nhanes.csv"), stringsAsFactors = FALSE)
# BRR needs two PSUs per stratum: NHANES without PSU 3 of stratum 86 (15 strata x 2 PSUs)
nh <- nh[!(nh$SDMVSTRA == 86 & nh$SDMVPSU == 3), ]
data(scd)
write.csv(scd, file.path(out, "data_scd.csv"), row.names = FALSE)
scd <- read.csv(file.path(out, "data_scd.csv"))
data(mu284)
write.csv(mu284, file.path(out, "data_mu284.csv"), row.names = FALSE)
mu284 <- read.csv(file.path(out, "data_mu284.csv"))

dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
dclus1_nofpc <- svydesign(id = ~dnum, weights = ~pw, data = clus1)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
dscd <- svydesign(id = ~ambulance, strata = ~ESA, probs = ~1, nest = TRUE, data = scd)
dnh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nh)
dmu <- svydesign(id = ~id1 + id2, fpc = ~n1 + n2, data = mu284)

# Sylvester's Hadamard matrix (what survey.estimation.replicate_weights builds)
sylvester <- function(n) {
  H <- matrix(1, 1, 1)
  while (nrow(H) < n + 1) H <- rbind(cbind(H, H), cbind(H, -H))
  H
}
# R's own hadamard() gives the Sylvester matrix for these sizes (checked here)
stopifnot(all(hadamard(3) == (sylvester(3) == 1)), all(hadamard(15) == (sylvester(15) == 1)))

# the BRR weights of R's svrepdesign example (scd): supplied by the user, not combined
scd_repweights <- 2 * cbind(c(1, 0, 1, 0, 1, 0), c(1, 0, 0, 1, 0, 1), c(0, 1, 1, 0, 0, 1), c(0, 1, 0, 1, 1, 0))

set.seed(20261202)
designs <- list(
  clus1_jk1 = list(d = as.svrepdesign(dclus1, type = "JK1"), data = "replicates_apiclus1",
                   call = 'as.svrepdesign(svydesign(id=~dnum, weights=~pw, fpc=~fpc, data=apiclus1), type="JK1")'),
  clus1_jk1_mse = list(d = as.svrepdesign(dclus1, type = "JK1", mse = TRUE), data = "replicates_apiclus1",
                       call = 'as.svrepdesign(svydesign(id=~dnum, weights=~pw, fpc=~fpc, data=apiclus1), type="JK1", mse=TRUE)'),
  clus1_jk1_nofpc = list(d = as.svrepdesign(dclus1_nofpc, type = "JK1"), data = "replicates_apiclus1",
                         call = 'as.svrepdesign(svydesign(id=~dnum, weights=~pw, data=apiclus1), type="JK1")'),
  strat_jkn = list(d = as.svrepdesign(dstrat, type = "JKn"), data = "replicates_apistrat",
                   call = 'as.svrepdesign(svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat), type="JKn")'),
  strat_boot = list(d = as.svrepdesign(dstrat, type = "bootstrap", replicates = 50), data = "replicates_apistrat",
                    call = 'set.seed(20261202); as.svrepdesign(dstrat, type="bootstrap", replicates=50)'),
  strat_subboot = list(d = as.svrepdesign(dstrat, type = "subbootstrap", replicates = 50), data = "replicates_apistrat",
                       call = 'as.svrepdesign(dstrat, type="subbootstrap", replicates=50) (after strat_boot)'),
  scd_brr_user = list(d = svrepdesign(data = scd, type = "BRR", repweights = scd_repweights,
                                      combined.weights = FALSE), data = "scd",
                      call = 'svrepdesign(data=scd, type="BRR", repweights=2*cbind(...), combined.weights=FALSE)'),
  scd_brr = list(d = as.svrepdesign(dscd, type = "BRR"), data = "scd",
                 call = 'as.svrepdesign(svydesign(id=~ambulance, strata=~ESA, probs=~1, nest=TRUE, data=scd), type="BRR")'),
  scd_fay = list(d = as.svrepdesign(dscd, type = "Fay", fay.rho = 0.3), data = "scd",
                 call = 'as.svrepdesign(dscd, type="Fay", fay.rho=0.3)'),
  nhanes_brr = list(d = as.svrepdesign(dnh, type = "BRR"), data = "nhanes",
                    call = 'as.svrepdesign(svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=nhanes), type="BRR")'),
  nhanes_fay_mse = list(d = as.svrepdesign(dnh, type = "Fay", fay.rho = 0.5, mse = TRUE), data = "nhanes",
                        call = 'as.svrepdesign(dnh, type="Fay", fay.rho=0.5, mse=TRUE)'),
  mu284_jk1 = list(d = suppressWarnings(as.svrepdesign(dmu, type = "JK1")), data = "mu284",
                   call = 'as.svrepdesign(svydesign(id=~id1+id2, fpc=~n1+n2, data=mu284), type="JK1") (second-stage fpc dropped)')
)
# user-supplied weights of type "other", with a scale and rscales of the user's choosing
jk <- designs$clus1_jk1$d
designs$clus1_other <- list(
  d = svrepdesign(data = clus1, repweights = weights(jk, "analysis"), weights = ~pw, type = "other",
                  scale = 0.4, rscales = seq(0.5, 1.5, length.out = 15), combined.weights = TRUE, mse = TRUE),
  data = "replicates_apiclus1",
  call = 'svrepdesign(data=apiclus1, repweights=<clus1_jk1 analysis weights>, weights=~pw, type="other", scale=0.4, rscales=seq(0.5,1.5,length.out=15), mse=TRUE)')

# weights exported for every design Python cannot rebuild itself (bootstrap draws, user-supplied
# weights) and for some it can (the tests compare Python's weights with these); the others
# (JKn on apistrat, BRR and Fay on NHANES: several MB) are checked through their estimates
exported <- c("clus1_jk1", "strat_boot", "strat_subboot", "scd_brr_user", "scd_brr", "scd_fay", "mu284_jk1")
design_rows <- list()
rscale_rows <- list()
for (name in names(designs)) {
  d <- designs[[name]]$d
  w <- weights(d, "analysis")
  colnames(w) <- paste0("rep", seq_len(ncol(w)))
  file <- ""
  if (name %in% exported) {
    file <- paste0("replicates_weights_", name, ".csv")
    table <- data.frame(pw = weights(d, "sampling"), w)
    write.csv(data.frame(lapply(table, fmt)), file.path(out, file), row.names = FALSE)
  }
  design_rows[[name]] <- data.frame(design = name, data = paste0("data_", designs[[name]]$data, ".csv"),
                                    weights_file = file,
                                    drop = if (designs[[name]]$data == "nhanes") "SDMVSTRA=86&SDMVPSU=3" else "",
                                    type = d$type, scale = fmt(d$scale), mse = isTRUE(d$mse),
                                    rho = fmt(if (is.null(d$rho)) NA else d$rho), degf = degf(d),
                                    replicates = ncol(w), r_call = designs[[name]]$call)
  rscale_rows[[name]] <- data.frame(design = name, replicate = seq_len(ncol(w)), rscale = fmt(d$rscales))
}
write.csv(do.call(rbind, design_rows), file.path(out, "replicates_designs.csv"), row.names = FALSE)
write.csv(do.call(rbind, rscale_rows), file.path(out, "replicates_rscales.csv"), row.names = FALSE)

# ---------------------------------------------------------------- estimates
rows <- list()
add <- function(design, case, call, domain, estimate, se, ci_low = NA, ci_high = NA, df = NA) {
  rows[[length(rows) + 1]] <<- data.frame(
    design = design, case = case, domain = domain, estimate = fmt(estimate), se = fmt(se),
    ci_low = fmt(ci_low), ci_high = fmt(ci_high), df = fmt(df), r_call = call, stringsAsFactors = FALSE)
}
labels_of <- function(tab, byvar) paste0(byvar, "=", as.character(tab[[byvar]]))
domain_df <- function(d, byvar, values) sapply(values, function(v) degf(d[d$variables[[byvar]] == v, ]))

simple <- function(name, d, case, fun, formula, call, ...) {
  est <- fun(formula, d, ...)
  df <- degf(d)
  q <- qt(0.975, df)
  add(name, case, call, "(all)", coef(est), SE(est), coef(est) - q * SE(est), coef(est) + q * SE(est), df)
}
by_domain <- function(name, d, case, formula, byvar, fun, call, ...) {
  tab <- svyby(formula, as.formula(paste0("~", byvar)), d, fun, ...)
  df <- domain_df(d, byvar, tab[[byvar]])
  q <- qt(0.975, df)
  add(name, case, call, labels_of(tab, byvar), coef(tab), SE(tab), coef(tab) - q * SE(tab),
      coef(tab) + q * SE(tab), df)
}
ciprop <- function(name, d, case, formula, method, call) {
  r <- svyciprop(formula, d, method = method)
  add(name, case, call, "(all)", coef(r), SE(r), confint(r)[1], confint(r)[2], degf(d))
}
ciprop_by <- function(name, d, case, formula, byvar, method, call) {
  tab <- svyby(formula, as.formula(paste0("~", byvar)), d, svyciprop, method = method, vartype = c("se", "ci"))
  add(name, case, call, labels_of(tab, byvar), coef(tab), SE(tab), tab$ci_l, tab$ci_u,
      domain_df(d, byvar, tab[[byvar]]))
}
glm_rows <- function(name, d, case, formula, family, call) {
  fit <- svyglm(formula, d, family = family)
  s <- summary(fit)$coefficients
  q <- qt(0.975, fit$df.residual)
  add(name, case, call, rownames(s), s[, 1], s[, 2], s[, 1] - q * s[, 2], s[, 1] + q * s[, 2],
      rep(fit$df.residual, nrow(s)))
}

pop_stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1001, 5193))

for (name in c("clus1_jk1", "clus1_jk1_mse", "clus1_jk1_nofpc", "strat_jkn", "strat_boot",
               "strat_subboot", "clus1_other")) {
  d <- designs[[name]]$d
  call <- function(x) paste0(x, "; d <- ", designs[[name]]$call)
  simple(name, d, "mean_api00", svymean, ~api00, call("svymean(~api00, d)"))
  simple(name, d, "total_enroll", svytotal, ~enroll, call("svytotal(~enroll, d)"))
  r <- svyratio(~api.stu, ~enroll, d)
  add(name, "ratio_apistu_enroll", call("svyratio(~api.stu, ~enroll, d)"), "(all)", coef(r), SE(r),
      df = degf(d))
  by_domain(name, d, "mean_api00_by_stype", ~api00, "stype", svymean, call("svyby(~api00, ~stype, d, svymean)"))
  by_domain(name, d, "total_enroll_by_stype", ~enroll, "stype", svytotal, call("svyby(~enroll, ~stype, d, svytotal)"))
  b <- svyby(~api00, ~stype, d, svymean, covmat = TRUE)
  ct <- svycontrast(b, c(E = 1, H = -1))
  add(name, "contrast_api00_E_H", call("svycontrast(svyby(~api00, ~stype, d, svymean, covmat=TRUE), c(E=1, H=-1))"),
      "stype=E - stype=H", coef(ct), SE(ct))
  for (method in c("logit", "likelihood", "asin", "beta", "mean")) {
    ciprop(name, d, paste0("ciprop_", method, "_schwide"), ~sch_wide_yes, method,
           call(paste0('svyciprop(~sch_wide_yes, d, method="', method, '")')))
  }
  ciprop_by(name, d, "ciprop_logit_schwide_by_stype", ~sch_wide_yes, "stype", "logit",
            call('svyby(~sch_wide_yes, ~stype, d, svyciprop, method="logit", vartype=c("se","ci"))'))
  glm_rows(name, d, "glm_api00", api00 ~ ell + meals + mobility, gaussian(),
           call("svyglm(api00 ~ ell + meals + mobility, d)"))
  glm_rows(name, d, "glm_schwide", sch_wide_yes ~ ell + meals, quasibinomial(),
           call("svyglm(sch_wide_yes ~ ell + meals, d, family=quasibinomial)"))
  ps <- postStratify(d, ~stype, pop_stype)
  simple(name, ps, "ps_mean_api00", svymean, ~api00, call("svymean(~api00, postStratify(d, ~stype, pop_stype))"))
  by_domain(name, ps, "ps_mean_api00_by_stype", ~api00, "stype", svymean,
            call("svyby(~api00, ~stype, postStratify(d, ~stype, pop_stype), svymean)"))
  rk <- rake(d, list(~stype, ~sch.wide), list(pop_stype, pop_schwide))
  simple(name, rk, "rake_mean_api00", svymean, ~api00,
         call("svymean(~api00, rake(d, list(~stype, ~sch.wide), list(pop_stype, pop_schwide)))"))
  simple(name, rk, "rake_total_enroll", svytotal, ~enroll,
         call("svytotal(~enroll, rake(d, list(~stype, ~sch.wide), list(pop_stype, pop_schwide)))"))
  glm_rows(name, rk, "rake_glm_api00", api00 ~ ell + meals, gaussian(),
           call("svyglm(api00 ~ ell + meals, rake(d, ...))"))
}
for (name in c("scd_brr_user", "scd_brr", "scd_fay")) {
  d <- designs[[name]]$d
  call <- function(x) paste0(x, "; d <- ", designs[[name]]$call)
  r <- svyratio(~alive, ~arrests, d)
  add(name, "ratio_alive_arrests", call("svyratio(~alive, ~arrests, d)"), "(all)", coef(r), SE(r), df = degf(d))
  simple(name, d, "mean_alive", svymean, ~alive, call("svymean(~alive, d)"))
  simple(name, d, "total_arrests", svytotal, ~arrests, call("svytotal(~arrests, d)"))
}
for (name in c("nhanes_brr", "nhanes_fay_mse")) {
  d <- designs[[name]]$d
  call <- function(x) paste0(x, "; d <- ", designs[[name]]$call)
  simple(name, d, "mean_hichol", svymean, ~HI_CHOL, call("svymean(~HI_CHOL, d, na.rm=TRUE)"), na.rm = TRUE)
  by_domain(name, d, "mean_hichol_by_race", ~HI_CHOL, "race", svymean,
            call("svyby(~HI_CHOL, ~race, d, svymean, na.rm=TRUE)"), na.rm = TRUE)
  glm_rows(name, d, "glm_hichol", HI_CHOL ~ RIAGENDR + agecat, quasibinomial(),
           call("svyglm(HI_CHOL ~ RIAGENDR + agecat, d, family=quasibinomial)"))
}
d <- designs$mu284_jk1$d
simple("mu284_jk1", d, "total_y1", svytotal, ~y1, paste0("svytotal(~y1, d); d <- ", designs$mu284_jk1$call))
simple("mu284_jk1", d, "mean_y1", svymean, ~y1, paste0("svymean(~y1, d); d <- ", designs$mu284_jk1$call))
write.csv(do.call(rbind, rows), file.path(out, "replicates_estimates.csv"), row.names = FALSE, na = "")

# ---------------------------------------------------------------- svychisq Wald / adjWald
lin <- list(
  clus1 = list(d = dclus1, formula = ~sch.wide + stype, call = "svydesign(id=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)"),
  strat = list(d = dstrat, formula = ~sch.wide + stype, call = "svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)"),
  nhanes = list(d = dnh, formula = ~race + agecat, call = "svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=nhanes)")
)
chisq_rows <- list()
for (name in names(lin)) {
  for (statistic in c("Wald", "adjWald")) {
    t <- svychisq(lin[[name]]$formula, lin[[name]]$d, statistic = statistic)
    chisq_rows[[length(chisq_rows) + 1]] <- data.frame(
      case = name, statistic_type = statistic, statistic = fmt(t$statistic), ndf = fmt(t$parameter[1]),
      ddf = fmt(t$parameter[2]), p_value = fmt(t$p.value),
      r_call = paste0("svychisq(", deparse(lin[[name]]$formula), ", d, statistic='", statistic, "'); d <- ",
                      lin[[name]]$call))
  }
}
for (name in c("clus1_jk1", "strat_jkn")) {
  for (statistic in c("Wald", "adjWald")) {
    t <- svychisq(~sch.wide + stype, designs[[name]]$d, statistic = statistic)
    chisq_rows[[length(chisq_rows) + 1]] <- data.frame(
      case = name, statistic_type = statistic, statistic = fmt(t$statistic), ndf = fmt(t$parameter[1]),
      ddf = fmt(t$parameter[2]), p_value = fmt(t$p.value),
      r_call = paste0("svychisq(~sch.wide + stype, d, statistic='", statistic, "'); d <- ", designs[[name]]$call))
  }
}
write.csv(do.call(rbind, chisq_rows), file.path(out, "replicates_chisq.csv"), row.names = FALSE, na = "")

# ---------------------------------------------------------------- svyciprop likelihood / asin
cip_rows <- list()
cip <- function(case, d, formula, method, call, domain = "(all)") {
  r <- svyciprop(formula, d, method = method)
  cip_rows[[length(cip_rows) + 1]] <<- data.frame(
    case = case, method = method, domain = domain, estimate = fmt(coef(r)), se = fmt(SE(r)),
    ci_low = fmt(confint(r)[1]), ci_high = fmt(confint(r)[2]), df = fmt(degf(d)), r_call = call)
}
for (method in c("likelihood", "asin")) {
  cip("clus1_schwide", dclus1, ~sch_wide_yes, method, lin$clus1$call)
  cip("strat_schwide", dstrat, ~sch_wide_yes, method, lin$strat$call)
  nh_cc <- subset(dnh, !is.na(HI_CHOL))
  cip("nhanes_hichol", nh_cc, ~HI_CHOL, method, paste0("subset(", lin$nhanes$call, ", !is.na(HI_CHOL))"))
  for (s in c("E", "H", "M")) {
    cip("clus1_schwide_by_stype", subset(dclus1, stype == s), ~sch_wide_yes, method,
        paste0("subset(", lin$clus1$call, ", stype == '", s, "')"), domain = paste0("stype=", s))
  }
}
write.csv(do.call(rbind, cip_rows), file.path(out, "replicates_ciprop.csv"), row.names = FALSE, na = "")
cat("replicate fixtures written to", out, "\n")
