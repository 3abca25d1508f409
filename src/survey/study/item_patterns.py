"""Item patterns: one header template per instrument instead of one ``columns:`` line per item.

An input's ``items: {phq9: "PHQ-9第{n}题"}`` expands, for each item of the instrument in the
order its file lists them, into the mapping header -> item id (``PHQ-9第1题: phq9_1`` ...).
Placeholders: ``{n}`` the position 1..k (with a format spec if needed: ``Q{n:02d}``), ``{id}``
the item id, ``{suffix}`` the id after the instrument's prefix (``j1`` for ``nmhl_j1``), and
``{ID}`` / ``{SUFFIX}`` in upper case. ``columns:`` stays for exceptions and wins over a
pattern: a header it maps, or an item it maps under another header, is not taken from the
pattern. Whether each expanded header exists is checked when the file is read (intake's usual
one-line error, naming the pattern).

Example
-------
>>> from survey.instruments import load_instrument
>>> expand_pattern("PHQ9_{n}", load_instrument("phq9"), where="study.yaml")["PHQ9_2"]
'phq9_2'
>>> sorted(expand_pattern("NMHL_{SUFFIX}", load_instrument("nmhl"), where="study.yaml"))[:2]
['NMHL_J1', 'NMHL_J10']
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import TYPE_CHECKING

from survey.errors import ConfigError
from survey.study.model import Input

if TYPE_CHECKING:
    from survey.instruments import Instrument

FIELDS = ("n", "id", "suffix", "ID", "SUFFIX")


def _fields(pattern: str, where: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ConfigError(f"{where}: expected a header pattern such as 'PHQ9_{{n}}', found {pattern!r} ({exc}); "
                          "write a literal brace as {{ or }}") from None
    return [name for _, name, _, _ in parsed if name is not None]


def expand_pattern(pattern: str, instrument: Instrument, *, where: str) -> dict[str, str]:
    """Header -> item id for every item of ``instrument``; ``where`` prefixes error messages."""
    names = _fields(pattern, where)
    if not names:
        raise ConfigError(f"{where}: expected a placeholder ({', '.join('{' + f + '}' for f in FIELDS)}) in the "
                          f"pattern, found {pattern!r}: every item would map to one header")
    unknown = sorted({name for name in names if name not in FIELDS})
    if unknown:
        raise ConfigError(f"{where}: expected placeholders {', '.join('{' + f + '}' for f in FIELDS)}, "
                          f"found {{{unknown[0]}}} in {pattern!r}")
    headers: dict[str, str] = {}
    prefix = f"{instrument.id}_"
    for position, item in enumerate(instrument.item_ids, start=1):
        suffix = item[len(prefix):] if item.startswith(prefix) else item
        try:
            header = pattern.format(n=position, id=item, ID=item.upper(), suffix=suffix, SUFFIX=suffix.upper())
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{where}: cannot expand {pattern!r}: {exc}") from None
        if header in headers:
            raise ConfigError(f"{where}: expected one header per item, found {header!r} for both "
                              f"{headers[header]} and {item}; use {{n}}, {{id}} or {{suffix}}")
        headers[header] = item
    return headers


def input_columns(entry: Input, instruments: Mapping[str, Instrument], *,
                  where: str) -> tuple[dict[str, str], dict[str, str]]:
    """An input's header -> variable mapping (explicit ``columns`` plus expanded ``items``), and the
    pattern each expanded header came from (for error messages)."""
    key = f"inputs[{entry.id}]"
    explicit = dict(entry.columns)
    patterns = entry.items
    if not explicit and not patterns:
        raise ConfigError(f"{where}: {key}: expected `columns` (header: variable), `items` (instrument: header "
                          "pattern) or both, found neither")
    columns: dict[str, str] = dict(explicit)
    origin: dict[str, str] = {}
    taken = set(explicit.values())
    for instrument_id, pattern in patterns.items():
        at = f"{where}: {key}.items.{instrument_id}"
        if instrument_id not in instruments:
            raise ConfigError(f"{at}: expected an instrument listed under `instruments` "
                              f"({', '.join(instruments)}), found {instrument_id!r}")
        for header, item in expand_pattern(pattern, instruments[instrument_id], where=at).items():
            if header in explicit or item in taken:
                continue  # `columns` wins
            if header in columns:
                raise ConfigError(f"{at}: {header!r} is also produced by {origin[header]}; "
                                  "map it under `columns` instead")
            columns[header] = item
            origin[header] = f"items.{instrument_id} {pattern!r}"
    return columns, origin
