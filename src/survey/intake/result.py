"""What intake found: :class:`ValidationResult`, with its counts, findings table and summary."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from survey.masking import mask_text
from survey.study import Study


@dataclass
class ValidationResult:
    """What intake found: the kept rows, one report line per finding, and per-input counts.

    ``identifiers_checked`` is True once ingest has read back its written files and found no
    personal identifier in them (validate writes nothing, so there it stays False).
    """

    study: Study
    data: pd.DataFrame
    report: pd.DataFrame
    rows_in: dict[str, int]
    encodings: dict[str, str | None] = field(default_factory=dict)
    key_fingerprint: str | None = None
    key_created: bool = False
    answered_cells: dict[tuple[str, str], tuple[int, int, str]] = field(default_factory=dict)
    identifiers_checked: bool = False
    study_identifier: str | None = None
    #: normalised raw identifier values, for ingest's check of its written files; never written or shown
    _raw_identifiers: set = field(default_factory=set, repr=False)

    def counts(self) -> pd.DataFrame:
        """Rows in, kept and rejected per input, and the number of each finding."""
        rejected = self.report[self.report["action"] == "rejected"].groupby("input").size()
        kept = self.data.groupby("source").size() if len(self.data) else pd.Series(dtype=int)
        table = pd.DataFrame({"rows_in": pd.Series(self.rows_in)})
        table["rows_kept"] = kept.reindex(table.index, fill_value=0)
        table["rows_rejected"] = rejected.reindex(table.index, fill_value=0)
        issues = self.report.groupby(["input", "issue"]).size().unstack(fill_value=0)
        table = table.join(issues).fillna(0).astype(int)
        table.loc["total"] = table.sum()
        return table

    def issue_counts(self) -> dict[str, int]:
        return self.report.groupby("issue").size().astype(int).to_dict()

    def findings(self) -> pd.DataFrame:
        """The findings table: per input, issue and action, the number of cells or rows and the columns."""
        columns = ["input", "issue", "action", "count", "columns"]
        if self.report.empty:
            return pd.DataFrame(columns=columns)
        grouped = self.report.groupby(["input", "issue", "action"], sort=False)
        table = grouped.size().rename("count").reset_index()
        shown = grouped["column"].agg(lambda c: _few(pd.unique(c.astype(str)))).reset_index(drop=True)
        table["columns"] = shown.to_numpy()
        order = {"rejected": 0, "set_missing": 1, "dropped": 2, "masked": 3, "fixed": 4, "flagged": 5}
        table["_order"] = table["action"].map(order).fillna(9)
        return table.sort_values(["input", "_order", "issue"], kind="stable")[columns].reset_index(drop=True)

    def findings_text(self) -> str:
        """The findings table as aligned text for the terminal (empty string when nothing was found)."""
        table = self.findings()
        if table.empty:
            return "no findings: every cell was read as it is"
        return table.to_string(index=False)

    def set_missing_cells(self) -> dict[tuple[str, str], tuple[int, int, str]]:
        """(input, instrument) -> (cells set missing, cells answered, the column with most set missing)."""
        return dict(self.answered_cells)

    def summary(self) -> str:
        """A readable summary (Markdown)."""
        counts = self.counts()
        lines = [f"# Validation of study '{self.study.id}'", "",
                 f"Configuration: `{self.study.config_file.name}`", ""]
        for spec in self.study.inputs:
            enc = self.encodings.get(spec.id)
            lines.append(f"- `{spec.id}`: {spec.path.name} ({spec.format}{', ' + enc if enc else ''})")
        lines += ["", "| input | rows in | kept | rejected |", "|---|---:|---:|---:|"]
        for name, row in counts.iterrows():
            lines.append(f"| {name} | {row.rows_in} | {row.rows_kept} | {row.rows_rejected} |")
        lines += ["", "| input | finding | action | count | columns |", "|---|---|---|---:|---|"]
        for row in self.findings().itertuples():
            lines.append(f"| {row.input} | {row.issue} | {row.action} | {row.count} | {row.columns} |")
        ok = (counts["rows_in"] == counts["rows_kept"] + counts["rows_rejected"]).all()
        lines += ["", f"Accounting: rows in = rows kept + rows rejected for every input: {'yes' if ok else 'NO'}.",
                  self.identifier_line()]
        return str(mask_text("\n".join(lines) + "\n"))

    def identifier_line(self) -> str:
        """What happened to the personal identifiers, and whether the written files were checked."""
        treated = ", ".join(f"{c} ({a})" for c, a in self.study.pii.items()) or "none declared"
        if self.identifiers_checked:
            state = ("removed; the written files were read back and hold no identifier value and nothing "
                     "shaped like a mobile or resident ID number")
        else:
            state = "to be removed (checked in the written files by `survey ingest`; validate writes nothing)"
        return f"Personal identifiers: {treated}: {state}."

    def to_frame(self) -> pd.DataFrame:
        return self.report


def _few(values, limit: int = 3) -> str:
    values = [str(v) for v in values]
    more = f" (+{len(values) - limit})" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more
