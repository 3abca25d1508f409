"""The demo survey's sample design: stratified three-stage cluster sampling of households.

Strata are district x urban/rural. Stage 1 draws streets/towns (PSUs) by simple random
sampling without replacement; stage 2 draws two communities/villages per PSU; stage 3 draws
households; one adult per household answers. Design weights are the inverse selection
probabilities, adjusted for household non-response within each community (weighting-class
adjustment).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def draw_sample(frame: pd.DataFrame, params: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Return the responding adults with their design variables and weights (one row each)."""
    design = params["design"]
    shares = {d["code"]: d["urban_share"] for d in params["districts"]}
    # a province's counties carry their own sample sizes; the demo city's districts use the design's
    psus_sampled = {d["code"]: d.get("psus_sampled", design["psus_per_stratum_sampled"]) for d in params["districts"]}

    psu_table = (frame.groupby(["district", "urban", "psu"], sort=True)
                 .agg(communities=("community", "nunique")).reset_index())
    psu_table["stratum_psus"] = psu_table.groupby(["district", "urban"])["psu"].transform("size")
    chosen = []
    for (district, urban), group in psu_table.groupby(["district", "urban"], sort=True):
        n_major, n_minor = psus_sampled[district]["major"], psus_sampled[district]["minor"]
        major = (shares[district] >= 0.5) == bool(urban)
        other = psu_table[(psu_table.district == district) & (psu_table.urban != urban)]
        n_other = min(n_minor, len(other)) if major else None
        n_h = (n_major + n_minor - n_other) if major else min(n_minor, len(group))
        n_h = min(n_h, len(group))
        pick = rng.choice(group.index.to_numpy(), n_h, replace=False)
        part = psu_table.loc[np.sort(pick)].copy()
        part["stratum_psus_sampled"] = n_h
        chosen.append(part)
    psus = pd.concat(chosen)

    comm_table = frame.groupby("community").agg(psu=("psu", "first"), households=("household", "nunique"))
    rows = []
    for psu in psus.itertuples():
        comms = comm_table.index[comm_table.psu == psu.psu].to_numpy()
        m = design["communities_per_psu_sampled"]
        for community in rng.choice(comms, min(m, comms.size), replace=False):
            rows.append(
                (psu.psu, community, psu.stratum_psus, psu.stratum_psus_sampled, comms.size, min(m, comms.size))
            )
    comms = pd.DataFrame(rows, columns=["psu", "community", "N_psu", "n_psu", "M_comm", "m_comm"])

    persons = frame.loc[frame["community"].isin(comms["community"])]
    households = persons.groupby("household").agg(community=("community", "first"), size=("household", "size"))
    drawn = []
    per_district = {d["code"]: d.get("households_per_community", design["households_drawn_per_community"])
                    for d in params["districts"]}
    h_of = persons.groupby("community", sort=True)["district"].first().map(per_district)
    for community, group in households.groupby("community", sort=True):
        h = int(h_of.at[community])
        take = rng.choice(group.index.to_numpy(), min(h, len(group)), replace=False)
        drawn.append(pd.DataFrame({"household": take, "community": community, "H": len(group), "h": take.size}))
    drawn = pd.concat(drawn, ignore_index=True)

    # one adult per drawn household, chosen at random (a Kish-grid stand-in)
    members = persons.loc[persons["household"].isin(drawn["household"])]
    members = members.assign(_u=rng.random(len(members)))
    picked = members.loc[members.groupby("household")["_u"].idxmax()].drop(columns="_u")
    sample = picked.merge(drawn, on=["household", "community"]).merge(comms, on=["psu", "community"])
    sample["base_weight"] = (sample["N_psu"] / sample["n_psu"] * sample["M_comm"] / sample["m_comm"]
                             * sample["H"] / sample["h"] * sample["household_adults"])
    r = design["response_rate_logit"]
    age = sample["age"].to_numpy()
    logit = (r["intercept"] + r["urban"] * sample["urban"] + r["male"] * (1 - sample["female"])
             + r["age_18_29"] * (age < 30) + r["age_60_plus"] * (age >= 60))
    sample["responded"] = rng.random(len(sample)) < 1 / (1 + np.exp(-logit))
    by_comm = sample.groupby("community")
    drawn_w = by_comm["base_weight"].transform("sum")
    resp_w = sample["base_weight"].where(sample["responded"], 0).groupby(sample["community"]).transform("sum")
    sample["weight"] = sample["base_weight"] * drawn_w / resp_w
    out = sample.loc[sample["responded"]].drop(columns=["responded"])
    return out.sort_values(["district", "urban", "psu", "community", "household"]).reset_index(drop=True)
