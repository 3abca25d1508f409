"""The demo city's finite population: a sampling frame of adults and their answers.

The frame is built once (districts -> urban/rural strata -> streets/towns (PSUs) ->
communities/villages -> households -> adults). For each wave every adult gets latent
depression, anxiety, insomnia, literacy and cognition traits, and answers to every
questionnaire are drawn for the whole population, so that the truth file holds exact
finite-population values rather than model approximations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

AGE_BANDS = np.array([18, 30, 45, 60, 75, 96])
AGE_BAND_PROBS = {"district": [0.20, 0.29, 0.27, 0.17, 0.07], "county": [0.15, 0.24, 0.29, 0.22, 0.10]}

EDUCATION_LEVELS = 5  # 1 primary or less ... 5 bachelor or higher
OCCUPATIONS = 7       # 1 farming ... 7 unemployed or other



def build_frame(params: dict, rng: np.random.Generator) -> pd.DataFrame:
    """One row per adult of 2023, with the sampling hierarchy and demographics."""
    design = params["design"]
    sizes = np.array(list(design["adults_per_household"].keys()), dtype=int)
    size_p = np.array(list(design["adults_per_household"].values()), dtype=float)
    parts = []
    psu_counter = 0
    for d in params["districts"]:
        for urban in (1, 0):
            share = d["urban_share"] if urban else 1 - d["urban_share"]
            adults = int(round(d["adults"] * share))
            lo, hi = design["adults_per_psu"]
            n_psu = max(2, int(round(adults / ((lo + hi) / 2))))
            psu_sizes = rng.uniform(lo, hi, n_psu)
            psu_sizes = np.round(psu_sizes / psu_sizes.sum() * adults).astype(int)
            clo, chi = design["adults_per_community"]
            n_comm = np.maximum(2, np.round(psu_sizes / ((clo + chi) / 2)).astype(int))
            comm_psu = np.repeat(np.arange(n_psu), n_comm)
            comm_sizes = rng.uniform(clo, chi, comm_psu.size)
            # scale community sizes within each PSU to the PSU's size
            totals = np.bincount(comm_psu, weights=comm_sizes)
            comm_sizes = np.maximum(20, np.round(comm_sizes / totals[comm_psu] * psu_sizes[comm_psu])).astype(int)
            # households: draw sizes until each community is filled (vectorised over communities)
            n_hh_guess = (comm_sizes / (sizes @ size_p)).astype(int) + 20
            hh_comm = np.repeat(np.arange(comm_sizes.size), n_hh_guess)
            hh_size = rng.choice(sizes, hh_comm.size, p=size_p)
            cum = np.cumsum(hh_size)
            start = np.concatenate([[0], np.cumsum(n_hh_guess)[:-1]])
            cum_within = cum - np.concatenate([[0], cum])[start][hh_comm]
            keep = cum_within - hh_size < comm_sizes[hh_comm]
            hh_comm, hh_size = hh_comm[keep], hh_size[keep]
            person_hh = np.repeat(np.arange(hh_comm.size), hh_size)
            person_comm = hh_comm[person_hh]
            part = pd.DataFrame({
                "district": d["code"],
                "urban": np.int8(urban),
                "psu": (comm_psu[person_comm] + psu_counter).astype(np.int32),
                "psu_code": (comm_psu[person_comm] + 1).astype(np.int16),
                "community": person_comm.astype(np.int32),
                "household": person_hh.astype(np.int32),
            })
            part["stratum_psus"] = n_psu
            parts.append(part)
            psu_counter += n_psu
    frame = pd.concat(parts, ignore_index=True)
    # global community and household ids
    frame["community"] = frame.groupby(["psu", "community"], sort=False).ngroup().astype(np.int32)
    frame["household"] = frame.groupby(["community", "household"], sort=False).ngroup().astype(np.int32)
    frame["household_adults"] = frame.groupby("household")["household"].transform("size").astype(np.int8)
    frame["person"] = np.arange(len(frame), dtype=np.int32)
    add_demographics(frame, params, rng)
    return frame


def add_demographics(frame: pd.DataFrame, params: dict, rng: np.random.Generator) -> None:
    n = len(frame)
    kinds = {d["code"]: d["kind"] for d in params["districts"]}
    kind = frame["district"].map(kinds).to_numpy()
    band = np.empty(n, dtype=np.int8)
    for k, probs in AGE_BAND_PROBS.items():
        mask = kind == k
        band[mask] = rng.choice(5, mask.sum(), p=probs)
    age = rng.integers(AGE_BANDS[band], AGE_BANDS[band + 1])
    female = rng.random(n) < np.where(age >= 75, 0.56, 0.50)
    urban = frame["urban"].to_numpy()
    # education: an ordinal latent lifted by urban residence and lowered by age
    edu_latent = 0.8 * urban - 0.035 * (age - 45) - 0.15 * female + rng.normal(0, 1, n)
    education = 1 + np.searchsorted([-0.9, 0.0, 0.8, 1.5], edu_latent).astype(np.int8)
    occupation = np.where(urban == 1,
                          rng.choice([2, 3, 4, 7], n, p=[0.28, 0.40, 0.22, 0.10]),
                          rng.choice([1, 2, 3, 7], n, p=[0.50, 0.22, 0.18, 0.10]))
    occupation = np.where((age < 24) & (education >= 3) & (rng.random(n) < 0.6), 5, occupation)
    retirement_age = np.where(female, 55, 60)
    occupation = np.where((age >= retirement_age) & (rng.random(n) < 0.75), 6, occupation)
    occupation = np.where((occupation == 4) & (education <= 2), 3, occupation)
    frame["female"] = female.astype(np.int8)
    frame["age"] = age.astype(np.int16)
    frame["education"] = education
    frame["occupation"] = occupation.astype(np.int8)
    frame["persistent_noise_dep"] = rng.normal(0, np.sqrt(0.6), n)
    frame["persistent_noise_lit"] = rng.normal(0, np.sqrt(0.7), n)
    frame["persistent_noise_cog"] = rng.normal(0, 1, n)


@dataclass
class WaveAnswers:
    """Item answers (codes as exported) for every adult in one wave, and exact scores."""

    items: dict[str, np.ndarray]      # item id -> int8 codes (-1 where not asked)
    scores: pd.DataFrame              # totals used for the truth file


def graded_response(theta: np.ndarray, thresholds: np.ndarray, slope: float, rng: np.random.Generator) -> np.ndarray:
    """Graded-response draw: P(X >= k) = logistic(slope * (theta - threshold_k)); X in 0..K.

    Equivalent to counting the thresholds below theta - e / slope with e standard logistic,
    which needs one random number and no exponential per answer.
    """
    z = theta - rng.logistic(size=theta.size) / slope
    return np.searchsorted(np.sort(thresholds), z).astype(np.int8)


class AnswerModel:
    """Draws each wave's latent traits and item answers for the whole population."""

    def __init__(self, params: dict, frame: pd.DataFrame, item_ids: dict[str, list[str]], seed: int):
        self.params = params
        self.frame = frame
        self.item_ids = item_ids
        self.seed = seed
        lat = params["latent"]
        rng = np.random.default_rng([seed, 7])
        n_psu = int(frame["psu"].max()) + 1
        self.psu_effect = rng.normal(0, lat["psu_sd"], n_psu)
        self.pilot = frame["district"].map({d["code"]: d["pilot"] for d in params["districts"]}).to_numpy()
        # fixed item parameters (the questionnaire does not change between waves)
        self.item_params = {
            "phq9": np.sort(rng.normal([0.9, 1.9, 2.6], 0.15, (9, 3)), axis=1) + rng.normal(0, 0.25, (9, 1)),
            "gad7": np.sort(rng.normal([1.0, 2.0, 2.7], 0.15, (7, 3)), axis=1) + rng.normal(0, 0.25, (7, 1)),
            "isi": np.sort(rng.normal([0.0, 1.0, 2.0, 2.8], 0.15, (7, 4)), axis=1) + rng.normal(0, 0.2, (7, 1)),
            "nmhl_j": rng.uniform(-1.9, 0.6, 20),
            "nmhl_s": np.sort(rng.normal([-2.2, -0.9, 0.7], 0.15, (8, 3)), axis=1),
            "nmhl_v": np.sort(rng.normal([-2.6, -1.7, -0.6, 0.6], 0.15, (8, 4)), axis=1),
            "ad8": rng.uniform(1.5, 2.6, 8),
            "epds": np.sort(rng.normal([0.3, 1.3, 2.3], 0.15, (10, 3)), axis=1),
        }

    def answers(self, wave_index: int, pilot_on: bool) -> WaveAnswers:
        """Answers in wave ``wave_index`` (0 = 2023); ``pilot_on`` switches the pilot effect."""
        p, f = self.params, self.frame
        lat = p["latent"]
        # the same random numbers with and without the pilot: the effect is the only difference
        rng = np.random.default_rng([self.seed, 100 + wave_index])
        n = len(f)
        age = f["age"].to_numpy() + wave_index
        female = f["female"].to_numpy()
        urban = f["urban"].to_numpy()
        edu = f["education"].to_numpy()
        district_dep = f["district"].map({d["code"]: d["dep"] for d in p["districts"]}).to_numpy()
        district_lit = f["district"].map({d["code"]: d["lit"] for d in p["districts"]}).to_numpy()
        treated = (self.pilot & pilot_on & (wave_index >= 1)).astype(float)
        psu = self.psu_effect[f["psu"].to_numpy()]
        dl = lat["depression"]
        dep = (dl["mean"] + district_dep + dl["female"] * female + dl["age_18_29"] * (age < 30)
               + dl["age_60_plus"] * (age >= 60) + dl["rural"] * (1 - urban) + dl["low_education"] * (edu <= 2)
               + dl["wave_2024"] * wave_index + psu
               + f["persistent_noise_dep"].to_numpy() + rng.normal(0, np.sqrt(0.4), n)
               + p["latent"]["pilot_effect"]["depression"] * treated)
        anx = lat["anxiety_corr"] * dep + np.sqrt(1 - lat["anxiety_corr"] ** 2) * rng.normal(0, 1, n) - 0.1
        ins = (
            lat["insomnia_corr"] * dep
            + np.sqrt(1 - lat["insomnia_corr"] ** 2) * rng.normal(0, 1, n)
            + 0.05 * (age >= 60)
        )
        ll = lat["literacy"]
        lit = (ll["mean"] + district_lit + ll["per_education_level"] * (edu - 3) + ll["age_60_plus"] * (age >= 60)
               + ll["urban"] * urban + ll["wave_2024"] * wave_index - psu
               + f["persistent_noise_lit"].to_numpy() + rng.normal(0, np.sqrt(0.3), n)
               + p["latent"]["pilot_effect"]["literacy"] * treated)
        cog = 0.075 * (age - 72) + f["persistent_noise_cog"].to_numpy() + 0.25 * dep - 0.2 * (edu - 2)
        perinatal = (female == 1) & (age >= 20) & (age <= 44) & (
            _uniform_stream(self.seed, 300 + wave_index, n) < lat["perinatal_share_women_20_44"])
        epds_theta = 0.6 * dep + 0.8 * rng.normal(0, 1, n)

        items: dict[str, np.ndarray] = {}
        ip = self.item_params
        for inst, theta, slope in (("phq9", dep, 1.7), ("gad7", anx, 1.7), ("isi", ins, 1.5)):
            for j, item in enumerate(self.item_ids[inst]):
                items[item] = graded_response(theta, ip[inst][j], slope, rng)
        scores = pd.DataFrame(index=f.index)
        for inst in ("phq9", "gad7", "isi"):
            scores[f"{inst}_total"] = np.sum([items[i] for i in self.item_ids[inst]], axis=0)

        # literacy: judgement right/wrong/don't know; self-assessment 1-4; vignette points 0-5
        key = p["literacy_key"]
        judgement_points = np.zeros(n, dtype=np.int16)
        for j, item in enumerate(i for i in self.item_ids["nmhl"] if "_j" in i):
            correct = lit - rng.logistic(size=n) / 1.3 > ip["nmhl_j"][j]
            dont_know = ~correct & (rng.random(n) < 0.4)
            right = 1 if self.key_of(item) == "true" else 2
            wrong = 3 - right
            items[item] = np.where(correct, right, np.where(dont_know, 3, wrong)).astype(np.int8)
            judgement_points += 5 * correct
        self_items = [i for i in self.item_ids["nmhl"] if "_s" in i]
        for j, item in enumerate(self_items):
            items[item] = (1 + graded_response(0.8 * lit, ip["nmhl_s"][j], 1.6, rng)).astype(np.int8)
        vignette_points = np.zeros(n, dtype=np.int16)
        for j, item in enumerate(i for i in self.item_ids["nmhl"] if "_v" in i):
            dont_know = -2.6 - lit > rng.logistic(size=n)
            points = 1 + graded_response(lit, ip["nmhl_v"][j], 1.4, rng)
            code = points if key["vignette"][item] == "agree" else 6 - points
            items[item] = np.where(dont_know, 9, code).astype(np.int8)
            vignette_points += np.where(dont_know, 0, points).astype(np.int16)
        self_total = np.sum([items[i] for i in self_items], axis=0)
        scores["nmhl_judgement"] = judgement_points
        scores["nmhl_self"] = self_total
        scores["nmhl_vignette"] = vignette_points
        scores["nmhl_adequate"] = ((judgement_points >= 80) & (self_total >= 24) & (vignette_points >= 28)).astype(
            np.int8
        )

        # AD8 for 60+ (code 9 = don't know scores 0); EPDS for perinatal women
        older = age >= 60
        ad8_total = np.zeros(n, dtype=np.int16)
        for j, item in enumerate(self.item_ids["ad8"]):
            yes = cog - rng.logistic(size=n) / 1.4 > ip["ad8"][j]
            dont_know = rng.random(n) < 0.03
            code = np.where(dont_know, 9, yes.astype(np.int8))
            items[item] = np.where(older, code, -1).astype(np.int8)
            ad8_total += (older & ~dont_know & yes)
        scores["ad8_total"] = np.where(older, ad8_total, -1)
        epds_total = np.zeros(n, dtype=np.int16)
        reverse = {"epds_3", "epds_5", "epds_6", "epds_7", "epds_8", "epds_9", "epds_10"}
        for j, item in enumerate(self.item_ids["epds"]):
            points = graded_response(epds_theta, ip["epds"][j], 1.6, rng)
            code = 3 - points if item in reverse else points
            items[item] = np.where(perinatal, code, -1).astype(np.int8)
            epds_total += np.where(perinatal, points, 0).astype(np.int16)
        scores["epds_total"] = np.where(perinatal, epds_total, -1)
        scores["age"] = age
        scores["perinatal"] = perinatal.astype(np.int8)
        return WaveAnswers(items=items, scores=scores)

    def key_of(self, item: str) -> str:
        fixed = self.params["literacy_key"]["judgement"]
        return fixed.get(item) or self.params["_instrument_keys"][item]


def _uniform_stream(seed: int, stream: int, n: int) -> np.ndarray:
    return np.random.default_rng([seed, stream]).random(n)
