"""Every output path of a study, from one rule. No other module writes an output file name.

The rule (the README says it too):

* processed data go to ``<study folder>/processed/``;
* reports go to ``<workspace>/reports/<study id>/`` when the study folder is
  ``<workspace>/data/<study id>/``, and to ``<study folder>/reports/`` for a study kept anywhere
  else; English reports go to the ``en/`` folder inside.

Example
-------
>>> from pathlib import Path
>>> paths = StudyPaths.of(Path("/ws/data/nanhu"), "nanhu")
>>> paths.scored, paths.prevalence
(PosixPath('/ws/data/nanhu/processed/scored.parquet'), PosixPath('/ws/reports/nanhu/tables/prevalence.csv'))
>>> paths.report_html("linjiang", "en")
PosixPath('/ws/reports/nanhu/en/linjiang/report.html')
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

#: Names of a district report folder's files.
REPORT_HTML, REPORT_PDF, REPORT_NOTEBOOK, REPORT_MANIFEST = "report.html", "report.pdf", "report.ipynb", "manifest.json"
FIGURES, TABLES, INDEX_HTML = "figures", "tables", "index.html"
#: Beside the processed data: the identifier that ties them to their pseudonymisation key.
STUDY_IDENTIFIER = "study_identifier.json"


#: Folder names a district may not take (they hold other outputs).
RESERVED = frozenset({"en", "zh", "tables", "overview", "screenshots", "figures"})


def slug_of(district: str) -> str:
    """A folder name for a district: its code in lower case, other characters as hyphens.

    A reserved name gets ``district-`` in front; a code that would make an empty or over-long
    name (more than 64 characters) gets ``district-`` and a short hash of the code instead.
    """
    slug = re.sub(r"[^a-z0-9_-]+", "-", str(district).lower()).strip("-")
    if slug in RESERVED:
        return "district-" + slug
    if not slug or len(slug) > 64:
        return "district-" + hashlib.sha1(str(district).encode()).hexdigest()[:8]
    return slug


@dataclass(frozen=True)
class StudyPaths:
    """The folders and files a study's steps read and write."""

    processed: Path
    reports: Path

    @classmethod
    def of(cls, root: Path, study_id: str) -> StudyPaths:
        root = Path(root)
        inside_workspace = root.parent.name == "data" and root.name == study_id
        reports = root.parent.parent / "reports" / study_id if inside_workspace else root / "reports"
        return cls(processed=root / "processed", reports=reports)

    # intake
    @property
    def responses(self) -> Path:
        return self.processed / "responses.parquet"

    @property
    def validation_report(self) -> Path:
        return self.processed / "validation_report.csv"

    @property
    def validation_summary(self) -> Path:
        return self.processed / "validation_summary.md"

    @property
    def intake_manifest(self) -> Path:
        return self.processed / "manifest.json"

    @property
    def study_identifier(self) -> Path:
        """The identifier that ties this study's processed data to its pseudonymisation key."""
        return self.processed / STUDY_IDENTIFIER

    # scoring
    @property
    def scoring_manifest(self) -> Path:
        return self.processed / "scoring_manifest.json"

    @property
    def scored(self) -> Path:
        return self.processed / "scored.parquet"

    @property
    def scoring_summary(self) -> Path:
        return self.processed / "scoring_summary.csv"

    @property
    def reliability(self) -> Path:
        return self.processed / "reliability.csv"

    @property
    def reliability_items(self) -> Path:
        return self.processed / "reliability_items.csv"

    # estimation and effects
    @property
    def tables(self) -> Path:
        return self.reports / TABLES

    @property
    def estimation_manifest(self) -> Path:
        return self.tables / "estimation_manifest.json"

    @property
    def effects_manifest(self) -> Path:
        return self.tables / "effects_manifest.json"

    @property
    def prevalence(self) -> Path:
        return self.tables / "prevalence.csv"

    @property
    def prevalence_subgroups(self) -> Path:
        return self.tables / "prevalence_subgroups.csv"

    @property
    def prevalence_change(self) -> Path:
        return self.tables / "prevalence_change.csv"

    @property
    def small_area(self) -> Path:
        return self.tables / "small_area.csv"

    @property
    def small_area_diagnostics(self) -> Path:
        return self.tables / "small_area_diagnostics.csv"

    @property
    def pilot_effects(self) -> Path:
        return self.tables / "pilot_effects.csv"

    # reports
    def language_root(self, lang: str) -> Path:
        """``reports/<study>/`` for Chinese, ``reports/<study>/en/`` for English."""
        return self.reports if lang == "zh" else self.reports / lang

    def index(self, lang: str) -> Path:
        return self.language_root(lang) / INDEX_HTML

    def overview(self, lang: str) -> Path:
        return self.language_root(lang) / "overview"

    def district_dir(self, district: str, lang: str) -> Path:
        return self.language_root(lang) / slug_of(district)

    def report_html(self, district: str, lang: str) -> Path:
        return self.district_dir(district, lang) / REPORT_HTML

    def report_pdf(self, district: str, lang: str) -> Path:
        return self.district_dir(district, lang) / REPORT_PDF

    def report_notebook(self, district: str, lang: str) -> Path:
        return self.district_dir(district, lang) / REPORT_NOTEBOOK

    def report_manifest(self, district: str, lang: str) -> Path:
        return self.district_dir(district, lang) / REPORT_MANIFEST

    def screenshots(self) -> Path:
        return self.reports / "screenshots"
