# Reference numbers for survey.scoring.reliability, computed with R's psych package.
#
# Regenerate from the repository root with:
#
#     Rscript tests/reference/psych_reliability.R
#
# Needs psych and GPArotation (Debian: r-cran-psych r-cran-gparotation). Writes, under
# tests/reference/fixtures/psych/:
#   items_bfi.csv, items_attitude.csv  input items exactly as the Python tests read them
#   items_bfi_blank.csv                 bfi's agreeableness items with every 40th respondent's
#                                       answers removed (rows with no item answered)
#   cases.json                          one entry per reference case: data file, items,
#                                       reverse-keyed items and how the caller reverses them,
#                                       missing-data policy, grouping
#   alpha_total.csv                     psych::alpha()$total plus the Feldt interval
#                                       (alpha()$feldt) and the Duhachek interval (psych's
#                                       print: raw_alpha -/+ 1.96 ase; also with qnorm(0.975))
#   alpha_drop.csv                      psych::alpha()$alpha.drop, one row per case x item
#   item_stats.csv                      psych::alpha()$item.stats, one row per case x item
#   omega.csv, omega_loadings.csv       psych::omega(nfactors = 1): omega.tot, omega_h and
#                                       the minres loadings / uniquenesses; *_exact columns
#                                       are the same from a fully converged minres fit
#   floor_ceiling.csv                   share of complete cases at the minimum / maximum
#                                       possible sum score (plain R)
#   omega_cases.json                    the psych::omega(nfactors = k) cases (k = 2, 3, 5)
#   omega_sl.csv                        omega(x, nfactors = k, plot = FALSE): omega_h, omega.tot,
#                                       omega.lim, alpha, G6, ECV
#   omega_sl_loadings.csv               schmid$sl (g, F1*..Fk*, h2, u2, p2) per case x item, and
#                                       which items omega's flip = TRUE reversed
#   omega_sl_groups.csv, omega_sl_phi.csv  omega.group and schmid$phi (oblimin correlations)
#   versions.json                       R, psych and GPArotation versions
# Every number is written with 17 significant digits so nothing is lost to rounding.
#
# Data: psych's `bfi` (2,800 respondents, 25 personality items scored 1-6, with missing
# values) and base R's `attitude` (30 departments, 7 ratings, complete).
# psych::omega(nfactors = k) uses its defaults throughout: fm = "minres", rotate = "oblimin"
# (GPArotation::oblimin on fa(..., rotate = "varimax") loadings), flip = TRUE, option = "equal",
# n.iter = 1, poly = FALSE.

suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
})

script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
script_dir <- if (length(script_arg)) dirname(normalizePath(sub("^--file=", "", script_arg))) else "tests/reference"
out_dir <- file.path(script_dir, "fixtures", "psych")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

fmt <- function(df) {
  for (col in names(df)) {
    if (is.numeric(df[[col]]) && !is.integer(df[[col]])) {
      df[[col]] <- ifelse(is.na(df[[col]]), NA, sprintf("%.17g", df[[col]]))
    }
  }
  df
}
write_fixture <- function(df, name) {
  write.csv(fmt(df), file.path(out_dir, name), row.names = FALSE, na = "NA", quote = TRUE)
}
json_str <- function(x) paste0('"', x, '"')
json_vec <- function(x) paste0("[", paste(json_str(x), collapse = ", "), "]")

# ---- input data --------------------------------------------------------------------------
data(bfi, package = "psych")
bfi_items <- data.frame(id = as.integer(rownames(bfi)), bfi[, c(paste0("A", 1:5), paste0("C", 1:5),
                                                              paste0("E", 1:5), paste0("N", 1:5),
                                                              paste0("O", 1:5))],
                        gender = bfi$gender)
write.csv(bfi_items, file.path(out_dir, "items_bfi.csv"), row.names = FALSE, na = "")
blank_items <- bfi_items[, c("id", paste0("A", 1:5))]
blank_items[seq(40, nrow(blank_items), by = 40), paste0("A", 1:5)] <- NA
stopifnot(sum(rowSums(!is.na(blank_items[, -1])) == 0) == nrow(blank_items) %/% 40)
write.csv(blank_items, file.path(out_dir, "items_bfi_blank.csv"), row.names = FALSE, na = "")
data(attitude, package = "datasets")
attitude_items <- data.frame(id = seq_len(nrow(attitude)), attitude)
write.csv(attitude_items, file.path(out_dir, "items_attitude.csv"), row.names = FALSE, na = "")

# ---- cases ---------------------------------------------------------------------------------
# reverse: items the caller reverses as (reverse_sum - x); psych::alpha(keys=) reverses with
# min + max of all the items' observed values, which for bfi is 1 + 6 = 7.
cases <- list(
  list(case = "bfi_agreeableness", data = "bfi", items = paste0("A", 1:5), reverse = "A1",
       reverse_sum = 7, missing = "pairwise", by = NULL, score_range = c(5, 30)),
  list(case = "bfi_conscientiousness", data = "bfi", items = paste0("C", 1:5), reverse = c("C4", "C5"),
       reverse_sum = 7, missing = "pairwise", by = NULL, score_range = c(5, 30)),
  list(case = "bfi_openness", data = "bfi", items = paste0("O", 1:5), reverse = c("O2", "O5"),
       reverse_sum = 7, missing = "pairwise", by = NULL, score_range = c(5, 30)),
  # psych counts rows with no item answered in n (ase, Feldt): Python's empty_rows = "count"
  list(case = "bfi_agreeableness_empty_rows", data = "bfi_blank", items = paste0("A", 1:5), reverse = "A1",
       reverse_sum = 7, missing = "pairwise", by = NULL, score_range = c(5, 30)),
  list(case = "bfi_neuroticism_listwise", data = "bfi", items = paste0("N", 1:5), reverse = character(0),
       reverse_sum = 7, missing = "listwise", by = NULL, score_range = c(5, 30)),
  list(case = "bfi_neuroticism_by_gender", data = "bfi", items = paste0("N", 1:5), reverse = character(0),
       reverse_sum = 7, missing = "pairwise", by = "gender", score_range = c(5, 30)),
  list(case = "attitude", data = "attitude", items = names(attitude), reverse = character(0),
       reverse_sum = NA, missing = "pairwise", by = NULL, score_range = NULL),
  list(case = "attitude_two_items", data = "attitude", items = c("rating", "complaints"),
       reverse = character(0), reverse_sum = NA, missing = "pairwise", by = NULL, score_range = NULL)
)

# psych's minres stops L-BFGS-B at R's default tolerance (factr = 1e7), so its loadings are
# a few 1e-6 from the exact minimum-residual solution. As an independent check of the
# Python fit, iterate the minres/ULS fixed point (communalities = diagonal of the one-factor
# model of R with those communalities) from psych's start (smc) until it stops moving.
exact_minres <- function(R, tol = 1e-15, max_iter = 1e6) {
  h2 <- smc(R)
  for (i in seq_len(max_iter)) {
    S <- R; diag(S) <- h2
    e <- eigen(S, symmetric = TRUE)
    L <- e$vectors[, 1] * sqrt(max(e$values[1], 0))
    new <- pmin(pmax(L^2, 0), 1 - 0.005)   # psych's bounds on the uniqueness
    if (max(abs(new - h2)) < tol) break
    h2 <- new
  }
  if (i == max_iter) stop("exact minres did not converge")
  S <- R; diag(S) <- h2
  resid <- S - L %*% t(L)
  stopifnot(max(abs(diag(resid))) < 1e-12)   # a stationary point of the ULS criterion
  list(loading = if (sum(L) < 0) -L else L, iterations = i)
}

totals <- list(); drops <- list(); stats <- list(); omegas <- list(); loads <- list(); fc <- list()

for (cs in cases) {
  full <- switch(cs$data, bfi = bfi_items, bfi_blank = blank_items, attitude = attitude_items)
  groups <- if (is.null(cs$by)) list(list(label = NA, rows = rep(TRUE, nrow(full))))
            else lapply(sort(unique(full[[cs$by]])), function(g) list(label = g, rows = full[[cs$by]] == g))
  for (g in groups) {
    x <- full[g$rows, cs$items, drop = FALSE]
    if (cs$missing == "listwise") x <- na.omit(x)
    keys <- ifelse(cs$items %in% cs$reverse, -1, 1)
    a <- alpha(x, keys = if (any(keys < 0)) keys else NULL, warnings = FALSE)
    n_obs <- nrow(x)
    z <- qnorm(0.975)
    totals[[length(totals) + 1]] <- data.frame(
      case = cs$case, group = g$label, n_obs = n_obs, n_items = length(cs$items),
      raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha, g6_smc = a$total$`G6(smc)`,
      average_r = a$total$average_r, signal_noise = a$total$`S/N`, ase = a$total$ase,
      mean = a$total$mean, sd = a$total$sd, median_r = a$total$median_r,
      feldt_lower = a$feldt$lower.ci[[1]], feldt_upper = a$feldt$upper.ci[[1]],
      duhachek_lower_print = a$total$raw_alpha - 1.96 * a$total$ase,
      duhachek_upper_print = a$total$raw_alpha + 1.96 * a$total$ase,
      duhachek_lower = a$total$raw_alpha - z * a$total$ase,
      duhachek_upper = a$total$raw_alpha + z * a$total$ase,
      check.names = FALSE)
    if (length(cs$items) > 2) {
      d <- a$alpha.drop
      drops[[length(drops) + 1]] <- data.frame(
        case = cs$case, group = g$label, item = cs$items,
        raw_alpha = d$raw_alpha, std_alpha = d$std.alpha, g6_smc = d$`G6(smc)`,
        average_r = d$average_r, signal_noise = d$`S/N`, ase = d$`alpha se`,
        var_r = d$var.r, median_r = d$med.r)
    }
    s <- a$item.stats
    stats[[length(stats) + 1]] <- data.frame(
      case = cs$case, group = g$label, item = cs$items, n = as.integer(s$n),
      raw_r = s$raw.r, std_r = s$std.r, r_cor = s$r.cor, r_drop = s$r.drop,
      mean = s$mean, sd = s$sd)

    if (length(cs$items) >= 3) {
      xr <- x
      for (it in cs$reverse) xr[[it]] <- cs$reverse_sum - xr[[it]]
      om <- suppressWarnings(suppressMessages(omega(xr, nfactors = 1, plot = FALSE)))
      ex <- exact_minres(om$R)
      stopifnot(all(ex$loading > 0))   # no item needs psych's flip in these cases
      omegas[[length(omegas) + 1]] <- data.frame(
        case = cs$case, group = g$label, omega_total = om$omega.tot, omega_h = om$omega_h,
        alpha = om$alpha,
        omega_total_exact = (sum(om$R) - sum(1 - ex$loading^2)) / sum(om$R),
        omega_h_exact = sum(ex$loading)^2 / sum(om$R), exact_iterations = ex$iterations)
      loads[[length(loads) + 1]] <- data.frame(
        case = cs$case, group = g$label, item = cs$items,
        loading = unname(om$schmid$sl[, "g"]), uniqueness = unname(om$schmid$sl[, "u2"]),
        loading_exact = ex$loading)
    }
    if (!is.null(cs$score_range)) {
      xr <- x
      for (it in cs$reverse) xr[[it]] <- cs$reverse_sum - xr[[it]]
      total <- rowSums(xr)          # NA unless every item is answered
      total <- total[!is.na(total)]
      fc[[length(fc) + 1]] <- data.frame(
        case = cs$case, group = g$label, n_scored = length(total),
        floor_share = mean(total == cs$score_range[1]),
        ceiling_share = mean(total == cs$score_range[2]))
    }
  }
}

write_fixture(do.call(rbind, totals), "alpha_total.csv")
write_fixture(do.call(rbind, drops), "alpha_drop.csv")
write_fixture(do.call(rbind, stats), "item_stats.csv")
write_fixture(do.call(rbind, omegas), "omega.csv")
write_fixture(do.call(rbind, loads), "omega_loadings.csv")
write_fixture(do.call(rbind, fc), "floor_ceiling.csv")

case_json <- vapply(cases, function(cs) {
  paste0("  {", paste(c(
    paste0('"case": ', json_str(cs$case)),
    paste0('"data": ', json_str(paste0("items_", cs$data, ".csv"))),
    paste0('"items": ', json_vec(cs$items)),
    paste0('"reverse": ', if (length(cs$reverse)) json_vec(cs$reverse) else "[]"),
    paste0('"reverse_sum": ', if (is.na(cs$reverse_sum)) "null" else cs$reverse_sum),
    paste0('"missing": ', json_str(cs$missing)),
    paste0('"by": ', if (is.null(cs$by)) "null" else json_str(cs$by)),
    paste0('"score_range": ', if (is.null(cs$score_range)) "null" else paste0("[", paste(cs$score_range, collapse = ", "), "]"))
  ), collapse = ", "), "}")
}, character(1))
writeLines(c("[", paste(case_json, collapse = ",\n"), "]"), file.path(out_dir, "cases.json"))

writeLines(c("{",
  paste0('  "R": ', json_str(R.version.string), ","),
  paste0('  "psych": ', json_str(as.character(packageVersion("psych"))), ","),
  paste0('  "GPArotation": ', json_str(as.character(packageVersion("GPArotation"))), ","),
  paste0('  "script": "tests/reference/psych_reliability.R"'),
  "}"), file.path(out_dir, "versions.json"))

# ---- omega with several group factors (Schmid-Leiman) -------------------------------------
omega_cases <- list(
  list(case = "bfi25_3", items = names(bfi)[1:25], nfactors = 3, missing = "pairwise"),
  list(case = "bfi25_5", items = names(bfi)[1:25], nfactors = 5, missing = "pairwise"),
  list(case = "bfi25_2", items = names(bfi)[1:25], nfactors = 2, missing = "pairwise"),
  list(case = "bfi25_5_listwise", items = names(bfi)[1:25], nfactors = 5, missing = "listwise"),
  list(case = "bfi_ac_3", items = c(paste0("A", 1:5), paste0("C", 1:5)), nfactors = 3, missing = "pairwise")
)
sl_tot <- list(); sl_load <- list(); sl_groups <- list(); sl_phi <- list()
for (cs in omega_cases) {
  x <- bfi_items[, cs$items]
  if (cs$missing == "listwise") x <- na.omit(x)
  om <- suppressWarnings(suppressMessages(omega(x, nfactors = cs$nfactors, plot = FALSE)))
  k <- cs$nfactors
  sl_tot[[length(sl_tot) + 1]] <- data.frame(
    case = cs$case, nfactors = k, n_obs = nrow(x), omega_h = om$omega_h, omega_total = om$omega.tot,
    omega_limit = om$omega.lim, alpha = om$alpha, g6 = om$G6, ecv = unname(om$ECV))
  sl <- om$schmid$sl
  load <- data.frame(case = cs$case, item = cs$items, flipped = om$key < 0, g = unname(sl[, 1]))
  for (j in 1:5) load[[paste0("F", j, "*")]] <- if (j <= k) unname(sl[, j + 1]) else NA_real_
  load$h2 <- unname(sl[, "h2"]); load$u2 <- unname(sl[, "u2"]); load$p2 <- unname(sl[, "p2"])
  sl_load[[length(sl_load) + 1]] <- load
  grp <- om$omega.group
  sl_groups[[length(sl_groups) + 1]] <- data.frame(case = cs$case, row = rownames(grp), total = grp$total,
                                                   general = grp$general, group = grp$group)
  phi <- data.frame(case = cs$case, row = paste0("F", 1:k))
  for (j in 1:5) phi[[paste0("F", j)]] <- if (j <= k) unname(om$schmid$phi[, j]) else NA_real_
  sl_phi[[length(sl_phi) + 1]] <- phi
}
write_fixture(do.call(rbind, sl_tot), "omega_sl.csv")
write_fixture(do.call(rbind, sl_load), "omega_sl_loadings.csv")
write_fixture(do.call(rbind, sl_groups), "omega_sl_groups.csv")
write_fixture(do.call(rbind, sl_phi), "omega_sl_phi.csv")
omega_json <- vapply(omega_cases, function(cs) {
  paste0("  {", paste(c(
    paste0('"case": ', json_str(cs$case)), '"data": "items_bfi.csv"',
    paste0('"items": ', json_vec(cs$items)), paste0('"nfactors": ', cs$nfactors),
    paste0('"missing": ', json_str(cs$missing))
  ), collapse = ", "), "}")
}, character(1))
writeLines(c("[", paste(omega_json, collapse = ",\n"), "]"), file.path(out_dir, "omega_cases.json"))

cat("wrote fixtures to", out_dir, "\n")
