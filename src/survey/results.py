"""The one base of the workspace's result objects, and what a step or section returns when a study cannot have it.

Every analysis that produces more than one number returns a :class:`Result`: ``to_frame()``
gives the tidy table for code, ``summary()`` the text for people, and a notebook shows the
table (``_repr_html_``). :class:`Skipped` is what a notebook cell or report section gets for a
study that cannot support it (no pilot, one wave, no margins): one sentence saying why.

Example
-------
>>> Skipped("no pilot programme declared (`pilot:`)")
Skipped: no pilot programme declared (`pilot:`)
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd


class Result:
    """Base class: subclasses define ``to_frame()`` and usually ``summary()``."""

    def to_frame(self) -> pd.DataFrame:
        raise NotImplementedError

    def summary(self) -> str:
        return self.to_frame().to_string(index=False)

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()


@dataclass(frozen=True)
class Skipped:
    """Something the study cannot support, and in one sentence why (falsy; shows as that sentence)."""

    reason: str

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Skipped: {self.reason}"

    def _repr_html_(self) -> str:
        return f"<p><em>Skipped: {html.escape(self.reason)}</em></p>"

    def summary(self) -> str:
        return repr(self)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"skipped": [self.reason]})
