"""Scoring of questionnaires from the instrument files (``survey.instruments``).

``score(df, instruments, overrides=..., columns=...)`` returns, for every respondent, each
instrument's status, total, band, cut-offs, part and subscale scores, flags and criteria;
``score_summary(scored, instrument)`` counts respondents by status.

Example
-------
>>> import pandas as pd
>>> from survey.scoring import score
>>> answers = pd.DataFrame({f"gad7_{i}": [2] for i in range(1, 8)})
>>> score(answers, ["gad7"])[["gad7_total", "gad7_band"]].to_dict("records")
[{'gad7_total': 14.0, 'gad7_band': 'moderate'}]
"""

from survey.scoring.engine import STATUSES, score
from survey.scoring.summary import score_summary

__all__ = ["STATUSES", "score", "score_summary"]
