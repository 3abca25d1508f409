"""Masking of personal identifiers in text: mainland mobile numbers and resident ID numbers.

One place decides what an identifier looks like and how it is shown. Every value the
workspace shows (the validation report, error messages, logs, the free-text columns it
keeps) passes through :func:`mask_text` or :func:`mask_series`, which keep only the first
and last digits:

* a mobile number (11 digits, ``1[3-9]…``, optionally ``+86`` and separated by spaces or
  hyphens) becomes ``135****5000``;
* an 18-character resident ID number (17 digits and a check character 0-9 or X; the birth
  date is not checked, so mistyped numbers are masked too) becomes ``110105********123X``.

Full-width digits (as Chinese input methods type them) are matched too. Digits that are part
of a longer run of digits are not taken for an identifier.

Example
-------
>>> mask_text("电话 13512345000，身份证110105199003071234")
'电话 135****5000，身份证110105********1234'
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ＋－", "0123456789Xx+-")
_RESIDENT_ID = r"(?<![0-9])(?P<area>[1-9][0-9]{5})[0-9]{8}(?P<tail>[0-9]{3}[0-9Xx])(?![0-9])"
_MOBILE = r"(?<![0-9])(?:\+?86[ -]?)?(?P<head>1[3-9][0-9])[ -]?[0-9]{4}[ -]?(?P<last>[0-9]{4})(?![0-9])"
RESIDENT_ID = re.compile(_RESIDENT_ID)
MOBILE = re.compile(_MOBILE)
#: Either kind, for a quick test whether a text holds an identifier.
IDENTIFIER = re.compile(re.sub(r"\?P<\w+>", "?:", f"(?:{_RESIDENT_ID})|(?:{_MOBILE})"))
ID_MASK = r"\g<area>********\g<tail>"
MOBILE_MASK = r"\g<head>****\g<last>"


def _folded(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def has_identifier(text: object) -> bool:
    """True when ``text`` holds something shaped like a mobile or resident ID number."""
    return text is not None and bool(IDENTIFIER.search(_folded(str(text))))


def mask_text(text: object) -> object:
    """``text`` with every mobile and resident ID number masked; other values unchanged (None stays None)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return text
    value = str(text)
    folded = _folded(value)
    if not IDENTIFIER.search(folded):
        return text
    return MOBILE.sub(MOBILE_MASK, RESIDENT_ID.sub(ID_MASK, folded))


def mask_series(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Mask identifiers in a column of text (vectorised over distinct values); the column and the cells changed."""
    codes, distinct = pd.factorize(values.astype(object), use_na_sentinel=True)
    changed = np.zeros(len(values), bool)
    if not len(distinct):
        return values, changed
    folded = pd.Series(distinct, dtype=object).astype(str).str.translate(_FULL_WIDTH)
    hit = folded.str.contains(IDENTIFIER, regex=True).to_numpy(dtype=bool)
    if not hit.any():
        return values, changed
    masked = folded.where(~hit, folded.str.replace(RESIDENT_ID, ID_MASK, regex=True)
                          .str.replace(MOBILE, MOBILE_MASK, regex=True)).to_numpy(dtype=object)
    changed = (codes >= 0) & np.append(hit, False)[codes]
    out = values.astype(object).copy()
    out[changed] = masked[codes[changed]]
    return out, changed


def identifier_cells(values: pd.Series) -> np.ndarray:
    """Which cells of a column hold a mobile or resident ID number (vectorised over its distinct values)."""
    codes, distinct = pd.factorize(values.astype(object), use_na_sentinel=True)
    if not len(distinct):
        return np.zeros(len(values), bool)
    folded = pd.Series(distinct, dtype=object).astype(str).str.translate(_FULL_WIDTH)
    hit = folded.str.contains(IDENTIFIER, regex=True).to_numpy(dtype=bool)
    return (codes >= 0) & np.append(hit, False)[codes]


def shown(values, limit: int = 3, width: int = 40) -> list:
    """A few distinct values for an error message, masked and cut short: ``found ['135****5000', ...]``."""
    distinct = list(dict.fromkeys(str(v) for v in values))[:limit]
    masked = [str(mask_text(v)) for v in distinct]
    return [m if len(m) <= width else m[:width - 1] + "…" for m in masked]
