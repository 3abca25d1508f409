"""How variable is the demo's DiD estimate from sample to sample? Redraw the demo sample.

The demo generator's population and answers are fixed by its seed; only the sample differs.
This script redraws both waves' samples ``--replicates`` times with the generator's own
``draw_sample`` (other seeds), computes the weighted DiD (district and wave fixed effects, no
covariates) of literacy, depressive symptoms and the PHQ-9 mean on each, and prints their mean
and SD: the true sampling SD that the design-based SE of the committed sample should match.
It reads the generator (src/survey/demo) but writes nothing. About 1.2 s per replicate after
~50 s of set-up.

Run:  .venv/bin/python benchmarks/effects_demo_resampling.py [--replicates 60]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from survey.demo.generate import INSTRUMENTS, _outcomes, load_params
from survey.demo.population import AnswerModel, build_frame
from survey.demo.sampling import draw_sample
from survey.instruments import load_instrument

OUTCOMES = {"literacy": "literacy_adequate", "depression": "depression_phq9_ge10", "phq9_mean": "phq9_mean"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=60)
    args = parser.parse_args()
    params = load_params(1.0)
    seed = params["seed"]
    instruments = {i: load_instrument(i) for i in INSTRUMENTS}
    params["_instrument_keys"] = {it.id: it.key for it in instruments["nmhl"].items if it.key}
    frame = build_frame(params, np.random.default_rng([seed, 1]))
    model = AnswerModel(params, frame, {i: inst.item_ids for i, inst in instruments.items()}, seed)
    outcomes = [_outcomes(model.answers(w, pilot_on=True).scores) for w in range(2)]
    pilots = {d["code"] for d in params["districts"] if d["pilot"]}
    estimates = []
    for r in range(args.replicates):
        parts = []
        for w in range(2):
            sample = draw_sample(frame.assign(age=frame["age"] + w), params,
                                 np.random.default_rng([seed + 1000 + r, 10 + w]))
            person = sample["person"].to_numpy()
            parts.append(pd.DataFrame({"wave": w, "district": sample["district"].to_numpy(),
                                       "weight": sample["weight"].to_numpy(),
                                       **{k: outcomes[w][c].to_numpy()[person] for k, c in OUTCOMES.items()}}))
        data = pd.concat(parts, ignore_index=True)
        treated = (data["district"].isin(pilots) & (data["wave"] == 1)).to_numpy(float)
        X = np.column_stack([treated, pd.get_dummies(data["district"], dtype=float).to_numpy(), data["wave"]])
        root = np.sqrt(data["weight"].to_numpy())
        estimates.append({k: np.linalg.lstsq(X * root[:, None], data[k].to_numpy() * root, rcond=None)[0][0]
                          for k in OUTCOMES})
    table = pd.DataFrame(estimates)
    print(pd.DataFrame({"mean": table.mean(), "sd": table.std(), "replicates": len(table)}).to_string())


if __name__ == "__main__":
    main()
