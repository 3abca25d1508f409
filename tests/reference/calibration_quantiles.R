# Reference numbers for GREG calibration (calibrate), svyquantile and svyvar, computed with R's
# survey package (issue 13, parts 2 and 3).
#
#     Rscript tests/reference/calibration_quantiles.R
#
# Reads the api data sets that tests/reference/survey_estimates.R exports
# (tests/reference/fixtures/survey/data_apiclus1.csv, data_apistrat.csv, data_apiclus2.csv), so
# R and Python see identical data, and writes into tests/reference/fixtures/survey/:
#   calibration_totals.csv    population totals of every calibration case (name as R's
#                             model.matrix names the column, total)
#   calibration_weights.csv   the calibrated weights of every case, one row per data row
#   calibration.csv           estimates and SEs on the calibrated designs (svymean, svytotal,
#                             svyratio, svyby domains)
#   calibration_glm.csv       svyglm coefficients and SEs on calibrated and raked designs
#   calibration_chisq.csv     svychisq (F and Chisq) on calibrated and raked designs
#   quantiles.csv             svyquantile(ci=TRUE): estimate, CI, SE for each qrule and interval
#                             type, overall and by domain (domain = subset(), as svyby does)
#   svyvar.csv                svyvar, overall and by domain
#   weights_apiclus2_fpc.csv  weights(d2) of the two-stage design, as R derives them from the FPCs
# Numbers are written with 17 significant digits; every row carries the R call (r_call).

suppressPackageStartupMessages(library(survey))

# svyglm's binomial fit stops at glm's default tolerance (relative deviance change < 1e-8), which
# leaves errors of order 1e-7 in the SEs; the fixtures hold the converged numbers, as in
# survey_estimates.R.
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
read_data <- function(name) read.csv(file.path(out, paste0("data_", name, ".csv")), stringsAsFactors = FALSE)
clus1 <- read_data("apiclus1")
strat <- read_data("apistrat")
clus2 <- read_data("apiclus2")

d1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
d1_call <- "d1 <- svydesign(id=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)"
ds <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
ds_call <- "ds <- svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)"
d2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = clus2)
d2_call <- "d2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)"
# R's weights from the FPCs differ from apiclus2$pw in the last bit for some rows, which decides
# exact ties of the cumulative weight share in the quantile rules: Python uses these
write.csv(data.frame(weight = fmt(weights(d2))), file.path(out, "weights_apiclus2_fpc.csv"), row.names = FALSE)

# population totals from apipop, as R's examples use them
pop_stype <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
pop_sw <- c(pop_stype, sch.wideYes = 5122)
pop_api99 <- c(pop_stype, api99 = 3914069)
pop_enroll <- c(`(Intercept)` = 6194, sch.wideYes = 5122, enroll = 3811472)
# ~stype*sch.wide: cells of table(apipop$stype, apipop$sch.wide)
pop_inter <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, sch.wideYes = 5122,
               `stypeH:sch.wideYes` = 421, `stypeM:sch.wideYes` = 752)

cases <- list(
  list(id = "lin_sw", design = d1, dcall = d1_call, data = "apiclus1", formula = ~stype + sch.wide,
       pop = pop_sw, args = list()),
  list(id = "lin_api99", design = d1, dcall = d1_call, data = "apiclus1", formula = ~stype + api99,
       pop = pop_api99, args = list()),
  list(id = "lin_bounds", design = d1, dcall = d1_call, data = "apiclus1", formula = ~stype + api99,
       pop = pop_api99, args = list(bounds = c(0.6, 1.6))),
  list(id = "rak_api99", design = d1, dcall = d1_call, data = "apiclus1", formula = ~stype + api99,
       pop = pop_api99, args = list(calfun = "raking")),
  list(id = "rak_sw", design = d1, dcall = d1_call, data = "apiclus1", formula = ~stype + sch.wide,
       pop = pop_sw, args = list(calfun = "raking")),
  list(id = "rak_bounds", design = d1, dcall = d1_call, data = "apiclus1", formula = ~stype + api99,
       pop = pop_api99, args = list(calfun = "raking", bounds = c(0.5, 1.8))),
  list(id = "logit_api99", design = d1, dcall = d1_call, data = "apiclus1", formula = ~stype + api99,
       pop = pop_api99, args = list(calfun = "logit", bounds = c(0.7, 1.7))),
  list(id = "lin_const", design = d1, dcall = d1_call, data = "apiclus1", formula = ~stype + api99,
       pop = pop_api99, args = list(bounds = c(25, 55), bounds.const = TRUE)),
  list(id = "lin_inter", design = d1, dcall = d1_call, data = "apiclus1", formula = ~stype * sch.wide,
       pop = pop_inter, args = list()),
  list(id = "lin_ratio", design = d1, dcall = d1_call, data = "apiclus1", formula = ~api99 - 1,
       pop = c(api99 = 3914069), args = list(variance = clus1$api99), vcall = "variance=apiclus1$api99"),
  list(id = "strat_enroll", design = ds, dcall = ds_call, data = "apistrat", formula = ~sch.wide + enroll,
       pop = pop_enroll, args = list()),
  list(id = "strat_rak_enroll", design = ds, dcall = ds_call, data = "apistrat",
       formula = ~sch.wide + enroll, pop = pop_enroll, args = list(calfun = "raking")),
  list(id = "clus2_stype", design = d2, dcall = d2_call, data = "apiclus2", formula = ~stype,
       pop = pop_stype, args = list())
)

describe <- function(case) {
  extra <- case$args
  extra$variance <- NULL
  shown <- vapply(names(extra), function(n) paste0(n, "=", deparse(extra[[n]])), "")
  if (!is.null(case$vcall)) shown <- c(shown, case$vcall)
  paste0("calibrate(d, ", deparse(case$formula), ", pop",
         if (length(shown)) paste0(", ", paste(shown, collapse = ", ")) else "", ")")
}

calibrated <- list()
totals_rows <- list()
weight_rows <- list()
est_rows <- list()
add_est <- function(case, call, stat, outcome, domain, estimate, se) {
  est_rows[[length(est_rows) + 1]] <<- data.frame(
    case = case, stat = stat, outcome = outcome, domain = domain, estimate = fmt(estimate),
    se = fmt(se), r_call = call, stringsAsFactors = FALSE)
}
domain_labels <- function(tab, byvar) paste0(byvar, "=", as.character(tab[[byvar]]))

for (case in cases) {
  dc <- do.call(calibrate, c(list(case$design, case$formula, case$pop), case$args))
  calibrated[[case$id]] <- dc
  call <- paste0(describe(case), "; d <- ", sub("^[a-z0-9]+ <- ", "", case$dcall))
  totals_rows[[length(totals_rows) + 1]] <- data.frame(
    case = case$id, data = case$data, formula = deparse(case$formula), name = names(case$pop),
    total = fmt(case$pop), r_call = call, stringsAsFactors = FALSE)
  weight_rows[[length(weight_rows) + 1]] <- data.frame(
    case = case$id, row = seq_len(nrow(dc)), weight = fmt(weights(dc)), stringsAsFactors = FALSE)
  for (v in c("api00", "enroll")) {
    m <- svymean(as.formula(paste0("~", v)), dc, na.rm = TRUE)
    add_est(case$id, paste0("svymean(~", v, ", dc, na.rm=TRUE); dc <- ", call), "mean", v, "(all)",
            coef(m), SE(m))
    t <- svytotal(as.formula(paste0("~", v)), dc, na.rm = TRUE)
    add_est(case$id, paste0("svytotal(~", v, ", dc, na.rm=TRUE); dc <- ", call), "total", v, "(all)",
            coef(t), SE(t))
  }
  r <- svyratio(~api00, ~api99, dc)
  add_est(case$id, paste0("svyratio(~api00, ~api99, dc); dc <- ", call), "ratio", "api00/api99", "(all)",
          coef(r), SE(r))
  pv <- if ("sch_wide_yes" %in% names(dc$variables)) "sch_wide_yes" else "both_yes"
  p <- svymean(as.formula(paste0("~", pv)), dc)
  add_est(case$id, paste0("svymean(~", pv, ", dc); dc <- ", call), "proportion", pv, "(all)", coef(p), SE(p))
  for (byvar in c("awards", "stype")) {
    b <- svyby(~api00, as.formula(paste0("~", byvar)), dc, svymean)
    add_est(case$id, paste0("svyby(~api00, ~", byvar, ", dc, svymean); dc <- ", call), "mean", "api00",
            domain_labels(b, byvar), coef(b), SE(b))
    b <- svyby(~enroll, as.formula(paste0("~", byvar)), dc, svytotal, na.rm = TRUE)
    add_est(case$id, paste0("svyby(~enroll, ~", byvar, ", dc, svytotal, na.rm=TRUE); dc <- ", call), "total",
            "enroll", domain_labels(b, byvar), coef(b), SE(b))
  }
}

# a post-stratification followed by a GREG step, and a GREG step followed by raking:
# the residuals of each recorded step in turn
dps <- postStratify(d1, ~stype, data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018)))
dchain <- calibrate(dps, ~api99, c(`(Intercept)` = 6194, api99 = 3914069))
chain_call <- paste0("calibrate(postStratify(d1, ~stype, data.frame(stype=c('E','H','M'), ",
                     "Freq=c(4421,755,1018))), ~api99, c(`(Intercept)`=6194, api99=3914069)); ", d1_call)
calibrated[["chain"]] <- dchain
weight_rows[[length(weight_rows) + 1]] <- data.frame(case = "chain", row = seq_len(nrow(dchain)),
                                                     weight = fmt(weights(dchain)), stringsAsFactors = FALSE)
for (v in c("api00", "enroll")) {
  m <- svymean(as.formula(paste0("~", v)), dchain)
  add_est("chain", paste0("svymean(~", v, ", dc); dc <- ", chain_call), "mean", v, "(all)", coef(m), SE(m))
}
b <- svyby(~api00, ~awards, dchain, svymean)
add_est("chain", paste0("svyby(~api00, ~awards, dc, svymean); dc <- ", chain_call), "mean", "api00",
        domain_labels(b, "awards"), coef(b), SE(b))

# R's rake() on the same margins as rak_sw: the same weights, another variance
draked <- rake(d1, list(~stype, ~sch.wide),
               list(data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018)),
                    data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))))
rake_call <- paste0("rake(d1, list(~stype, ~sch.wide), list(data.frame(stype=c('E','H','M'), ",
                    "Freq=c(4421,755,1018)), data.frame(sch.wide=c('No','Yes'), Freq=c(1072,5122)))); ",
                    d1_call)
m <- svymean(~api00, draked)
add_est("rake_sw", paste0("svymean(~api00, dc); dc <- ", rake_call), "mean", "api00", "(all)", coef(m), SE(m))

write.csv(do.call(rbind, totals_rows), file.path(out, "calibration_totals.csv"), row.names = FALSE)
write.csv(do.call(rbind, weight_rows), file.path(out, "calibration_weights.csv"), row.names = FALSE)
write.csv(do.call(rbind, est_rows), file.path(out, "calibration.csv"), row.names = FALSE)

# ---------------------------------------------------------------- svyglm and svychisq
glm_rows <- list()
chisq_rows <- list()
glm_designs <- list(lin_sw = calibrated[["lin_sw"]], rak_api99 = calibrated[["rak_api99"]],
                    logit_api99 = calibrated[["logit_api99"]], rake_sw = draked, chain = dchain)
for (id in names(glm_designs)) {
  dc <- glm_designs[[id]]
  for (model in list(list(f = api00 ~ api99 + stype, fam = "gaussian()"),
                     list(f = sch_wide_yes ~ api99, fam = "quasibinomial()"))) {
    fit <- svyglm(model$f, design = dc, family = eval(parse(text = model$fam)))
    glm_rows[[length(glm_rows) + 1]] <- data.frame(
      case = id, formula = deparse(model$f), family = model$fam, term = names(coef(fit)),
      estimate = fmt(coef(fit)), se = fmt(SE(fit)), df = fit$df.residual,
      r_call = paste0("svyglm(", deparse(model$f), ", design=dc, family=", model$fam, ")"),
      stringsAsFactors = FALSE)
  }
  for (st in c("F", "Chisq")) {
    test <- svychisq(~stype + awards, dc, statistic = st)
    chisq_rows[[length(chisq_rows) + 1]] <- data.frame(
      case = id, statistic_type = st, statistic = fmt(test$statistic),
      ndf = fmt(if (st == "F") test$parameter[1] else test$parameter),
      ddf = fmt(if (st == "F") test$parameter[2] else NA), p_value = fmt(test$p.value),
      r_call = paste0("svychisq(~stype + awards, dc, statistic='", st, "')"), stringsAsFactors = FALSE)
  }
}
write.csv(do.call(rbind, glm_rows), file.path(out, "calibration_glm.csv"), row.names = FALSE)
write.csv(do.call(rbind, chisq_rows), file.path(out, "calibration_chisq.csv"), row.names = FALSE)

# ---------------------------------------------------------------- svyquantile
q_rows <- list()
add_q <- function(case, call, domain, res, alpha) {
  r <- res[[1]]
  q_rows[[length(q_rows) + 1]] <<- data.frame(
    case = case, domain = domain, p = as.numeric(rownames(r)), quantile = fmt(r[, 1]),
    ci_low = fmt(r[, 2]), ci_high = fmt(r[, 3]), se = fmt(r[, 4]), level = 1 - alpha, r_call = call,
    stringsAsFactors = FALSE)
}
rules <- c("math", "school", "shahvaish", paste0("hf", 1:9))
qdesigns <- list(clus1 = list(d = d1, call = d1_call, var = "api00"),
                 strat = list(d = ds, call = ds_call, var = "api00"),
                 clus2 = list(d = d2, call = d2_call, var = "enroll"),
                 cal = list(d = calibrated[["lin_sw"]], var = "api00",
                            call = paste0("dc <- calibrate(d1, ~stype+sch.wide, pop); ", d1_call)))
for (qd in names(qdesigns)) {
  spec <- qdesigns[[qd]]
  f <- as.formula(paste0("~", spec$var))
  for (rule in rules) {
    res <- svyquantile(f, spec$d, c(0.1, 0.25, 0.5, 0.75, 0.9), ci = TRUE, qrule = rule, na.rm = TRUE)
    add_q(paste(qd, rule, "mean", sep = "_"),
          paste0("svyquantile(", deparse(f), ", d, c(.1,.25,.5,.75,.9), ci=TRUE, na.rm=TRUE, qrule='", rule,
                 "'); ", spec$call), "(all)", res, 0.05)
  }
  for (type in c("beta", "xlogit", "asin", "score")) {
    res <- svyquantile(f, spec$d, c(0.25, 0.5, 0.75), ci = TRUE, interval.type = type, na.rm = TRUE)
    add_q(paste(qd, "math", type, sep = "_"),
          paste0("svyquantile(", deparse(f), ", d, c(.25,.5,.75), ci=TRUE, na.rm=TRUE, interval.type='", type,
                 "'); ", spec$call), "(all)", res, 0.05)
  }
  res <- svyquantile(f, spec$d, c(0.5), ci = TRUE, alpha = 0.1, qrule = "hf7", na.rm = TRUE)
  add_q(paste(qd, "hf7", "mean90", sep = "_"),
        paste0("svyquantile(", deparse(f), ", d, 0.5, ci=TRUE, alpha=0.1, qrule='hf7', na.rm=TRUE); ",
               spec$call), "(all)", res, 0.1)
  # by domain: svyby(f, ~stype, d, svyquantile, ...) evaluates each subset(d, stype == level)
  for (rule in c("math", "school", "hf7")) {
    for (level in sort(unique(spec$d$variables$stype))) {
      sub <- spec$d[spec$d$variables$stype == level, ]
      res <- svyquantile(f, sub, c(0.25, 0.5, 0.75), ci = TRUE, qrule = rule, na.rm = TRUE)
      add_q(paste(qd, rule, "mean_bystype", sep = "_"),
            paste0("svyby(", deparse(f), ", ~stype, d, svyquantile, c(.25,.5,.75), ci=TRUE, na.rm=TRUE, qrule='",
                   rule, "'); ", spec$call), paste0("stype=", level), res, 0.05)
    }
  }
  for (type in c("beta", "xlogit")) {
    for (level in sort(unique(spec$d$variables$stype))) {
      sub <- spec$d[spec$d$variables$stype == level, ]
      res <- svyquantile(f, sub, 0.5, ci = TRUE, interval.type = type, na.rm = TRUE)
      add_q(paste(qd, "math", paste0(type, "_bystype"), sep = "_"),
            paste0("svyby(", deparse(f), ", ~stype, d, svyquantile, 0.5, ci=TRUE, na.rm=TRUE, interval.type='",
                   type, "'); ", spec$call), paste0("stype=", level), res, 0.05)
    }
  }
}
write.csv(do.call(rbind, q_rows), file.path(out, "quantiles.csv"), row.names = FALSE)

# ---------------------------------------------------------------- svyvar
v_rows <- list()
for (qd in names(qdesigns)) {
  spec <- qdesigns[[qd]]
  f <- as.formula(paste0("~", spec$var))
  v <- svyvar(f, spec$d, na.rm = TRUE)
  v_rows[[length(v_rows) + 1]] <- data.frame(
    case = qd, outcome = spec$var, domain = "(all)", estimate = fmt(coef(v)), se = fmt(SE(v)),
    r_call = paste0("svyvar(", deparse(f), ", d, na.rm=TRUE); ", spec$call), stringsAsFactors = FALSE)
  b <- svyby(f, ~stype, spec$d, svyvar, na.rm = TRUE)
  v_rows[[length(v_rows) + 1]] <- data.frame(
    case = qd, outcome = spec$var, domain = domain_labels(b, "stype"), estimate = fmt(coef(b)), se = fmt(SE(b)),
    r_call = paste0("svyby(", deparse(f), ", ~stype, d, svyvar, na.rm=TRUE); ", spec$call),
    stringsAsFactors = FALSE)
}
write.csv(do.call(rbind, v_rows), file.path(out, "svyvar.csv"), row.names = FALSE)
cat("wrote calibration, quantile and svyvar fixtures to", out, "\n")
