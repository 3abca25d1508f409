"""The study configuration as typed, frozen objects: what ``study.yaml`` may say, and nothing else.

One model is the schema: :class:`StudyConfig` and its parts validate the file (unknown keys,
wrong types and impossible combinations are one-line errors naming the key), and
``schema.json`` beside this module is generated from it for editors (a test checks that the
two agree). Library code reads these objects, never the raw YAML.

Optional parts say what a study can do (see :mod:`survey.study.capabilities`): ``pilot`` (a
programme to evaluate), ``margins`` (population margins for raking), ``standard_population``
(age standardisation), ``services`` (service tables), two or more ``waves`` (change).

Example
-------
>>> from survey.study.model import Design
>>> Design.model_validate({"weight": "w", "psu": "community", "strata": ["district"]}).strata
('district',)
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator, model_validator

T = TypeVar("T")
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Label = str | int | float


def _as_tuple(value):
    return tuple(value) if isinstance(value, list) else value


def _distinct(values, what: str):
    if len(set(values)) != len(values):
        raise ValueError(f"expected distinct {what}, found {list(values)}")
    return values


#: A YAML list, kept as a tuple (the model is frozen and strict: a list is the only sequence YAML has).
Seq = Annotated[tuple[T, ...], BeforeValidator(_as_tuple)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class Text(Model):
    """A text in English and Chinese."""

    en: str
    zh: str = Field(alias="zh-CN")

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``zh``/``zh-CN`` or ``en``)."""
        return self.zh if lang in ("zh", "zh-CN") else self.en


class OptionalText(Model):
    """A text in English and/or Chinese (either may be missing)."""

    en: str | None = None
    zh: str | None = Field(None, alias="zh-CN")

    def get(self, lang: str, default: str = "") -> str:
        wanted = self.zh if lang in ("zh", "zh-CN") else self.en
        return wanted or self.en or self.zh or default


class Level(Model):
    """One level of a categorical variable: its code and the labels and aliases that mean it."""

    code: int | str
    en: Seq[Label] = ()
    zh: Seq[Label] = Field((), alias="zh-CN")
    aliases: Seq[Label] = ()

    def label(self, lang: str) -> str:
        labels = self.zh if lang in ("zh", "zh-CN") else self.en
        return str((labels or self.en or (self.code,))[0])


class Variable(Model):
    """A variable of the processed data: its type, valid range or levels, and what to do with bad values."""

    type: Literal["text", "integer", "number", "datetime", "category"]
    min: float | None = None
    max: float | None = None
    invalid: Literal["reject", "flag"] = Field("flag", description="reject or flag a row whose value is "
                                               "missing (when required) or outside min-max")
    required: bool = False
    levels: Seq[Level] = ()
    levels_from: Literal["districts"] | None = None

    @model_validator(mode="after")
    def _levels_for_categories(self):
        if self.type == "category" and not (self.levels or self.levels_from):
            raise ValueError("expected `levels` or `levels_from` for a category, found neither")
        return self


class Input(Model):
    """One export: its file, how its answers are coded, and how its headers map to variables."""

    id: Name
    file: str
    format: Literal["csv", "xlsx", "sav", "parquet"] | None = None
    encoding: str = Field("auto", description="auto (the default) detects UTF-8, UTF-8 with a BOM or GB18030")
    sheet: str | int = 0
    wave: int | None = None
    answers: Literal["labels", "codes", "value_labels"]
    columns: dict[str, Name] = Field(default_factory=dict, description="header -> variable or item")
    items: dict[str, str] = Field(default_factory=dict, description="instrument -> header pattern such as "
                                  "\"PHQ-9第{n}题\", expanded over the instrument's items; `columns` wins")
    code_base: Literal[0, 1] | None = Field(
        None, description="how an `answers: codes` export numbers each item's options: 0 the instrument's own "
        "codes; 1 options numbered 1..n in the order the instrument lists them (online platforms' numbered "
        "exports); not given: the instrument's own codes, checked for a shift")
    code_maps: dict[str, dict[int | str, int]] = Field(
        default_factory=dict, description="per response set (an instrument file's set id, or <instrument>.<set>): "
        "export code -> instrument code; overrides code_base for that set")
    missing_values: Seq[Label] = Field((), description='cell texts meaning "no answer", e.g. "(跳过)", "(空)", -3')


class Design(Model):
    """The sample design: strata, first- (and second-) stage units, weight, FPC, and how to name them."""

    strata: Seq[str] = ()
    psu: str | None = None
    ssu: str | None = Field(None, description="second-stage units within PSUs (e.g. communities in streets)")
    weight: str
    fpc: str | None = Field(None, description="first-stage population size (units in the stratum)")
    lonely_psu: Literal["fail", "remove", "certainty", "adjust", "average"] = Field(
        "fail", description="a stratum with one PSU: R's options(survey.lonely.psu=...); fail by default, as R")
    psu_label: Text | None = Field(None, description="what a PSU is, for the reports' methods text")
    ssu_label: Text | None = None
    weight_note: Text | None = Field(None, description="how the weights were made, for the methods text")

    @model_validator(mode="after")
    def _ssu_needs_psu(self):
        if self.ssu and not self.psu:
            raise ValueError("expected `psu` when `ssu` is given (second-stage units lie within PSUs)")
        return self

    @property
    def n_stages(self) -> int:
        return (self.psu is not None) + (self.ssu is not None)

    def columns(self) -> list[str]:
        """Every column the design uses."""
        return [*self.strata, *(c for c in (self.psu, self.ssu, self.weight, self.fpc) if c)]


class Pii(Model):
    """Personal identifiers: each column dropped or replaced by a keyed hash."""

    columns: dict[str, Literal["drop", "pseudonymise"]] = Field(default_factory=dict)
    key_file: str | None = None
    free_text: Literal["mask", "drop"] = Field(
        "mask", description="free-text columns are scanned for mobile and resident ID numbers: mask them "
        "(135****5000), or leave every free-text column out of the processed data")


class IntakeSettings(Model):
    """When intake stops rather than go on with data that look wrong."""

    max_set_missing_share: float = Field(
        0.05, ge=0, le=1, description="stop when more than this share of an instrument's answered cells in one "
        "input are set missing (out of range, or an identifier typed into an answer)")


class Duplicates(Model):
    key: Seq[str] = Field(min_length=1)
    order_by: str | None = None


class Margins(Model):
    """Population margins for raking: a CSV and the variables it has margins for."""

    file: str
    variables: Seq[str] = Field(min_length=1)


class AgeGroups(Model):
    column: str
    breaks: Seq[float] = Field(min_length=1)
    labels: Seq[str]

    @field_validator("breaks")
    @classmethod
    def _increasing(cls, breaks):
        if list(breaks) != sorted(set(breaks)):
            raise ValueError(f"expected increasing numbers, found {list(breaks)}")
        return breaks

    @field_validator("labels")
    @classmethod
    def _one_label_per_group(cls, labels, info):
        breaks = info.data.get("breaks")
        if breaks is not None and len(labels) != len(breaks):
            raise ValueError(f"expected {len(breaks)} labels, one per break (the last group is open-ended: "
                             f"{breaks[-1]:g} and over), found {len(labels)}")
        return labels


class Indicator(Model):
    """A key indicator: a 0/1 score column estimated as a proportion, with labels and targets."""

    id: Name
    column: str
    label: Text
    population: Text | None = None
    targets: dict[Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")],
                  Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="policy targets by year, as proportions")


class Services(Model):
    """Service tables: yearly per district (``district``, ``year`` and measures), and monthly."""

    yearly: str | None = None
    monthly: str | None = None


#: The publication rule sets (survey.estimation.publication) and their settings; a test checks these
#: against the functions' signatures, so the model need not import the estimation package.
RULE_SETTINGS = {
    "nchs2017": ("min_n", "min_effective_n", "present_width", "suppress_width", "max_relative_width", "min_df",
                 "level"),
    "nchs_counts": ("min_n", "min_count_n", "max_relative_width"),
    "nchs_legacy": ("min_n", "min_cell_n", "max_rse"),
    "dhs": ("min_n", "suppress_below", "footnote_below"),
    "statcan": ("min_n", "caution_cv", "suppress_cv"),
}


class Publication(Model):
    """The publication (suppression) rule set and its thresholds."""

    rules: Literal["nchs2017", "nchs_counts", "nchs_legacy", "dhs", "statcan"] = "nchs2017"
    settings: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_settings(self):
        known = RULE_SETTINGS[self.rules]
        unknown = sorted(set(self.settings) - set(known))
        if unknown:
            raise ValueError(f"expected settings of rule set {self.rules!r} ({', '.join(known)}), found {unknown}")
        return self


class Pilot(Model):
    """A programme piloted in some districts: which, and from when.

    Either ``districts`` with one ``start`` (a date or a year), or ``start_column``: a column of
    the district table or of ``services.yearly`` holding each pilot district's start (empty for
    comparison districts).
    """

    districts: Seq[str] = ()
    start: dt.date | int | None = None
    start_column: str | None = None
    name: Text | None = Field(None, description="the programme's name, for the reports")

    @model_validator(mode="after")
    def _one_source(self):
        if self.start_column and (self.districts or self.start is not None):
            raise ValueError("expected either `districts` and `start`, or `start_column`, found both")
        if not self.start_column and not (self.districts and self.start is not None):
            raise ValueError("expected `districts` and `start` (or `start_column`)")
        return self


class EffectsAnalysis(Model):
    """Which outcomes the programme evaluation estimates, with which covariates and interval."""

    indicators: Seq[str] | None = Field(None, description="indicator ids (default: every indicator)")
    scores: dict[str, str] = Field(default_factory=dict, description="name -> score column, estimated as means")
    covariates: Seq[str] = ()
    primary_interval: Literal["auto", "design", "cr1", "wcr_rademacher", "wcr_webb"] = Field(
        "auto", description="the interval the verdict uses; auto: the wild cluster bootstrap (Webb weights) "
        "with at least 6 districts, else design-based")
    mixed: bool = Field(True, description="also fit the unweighted mixed model (did_mixed rows); the slowest "
                        "part of the table with many districts")


class SmallArea(Model):
    """County (district) estimates from an area-level Fay–Herriot model where direct samples are small.

    ``covariates`` is a CSV beside study.yaml with a column ``code`` (the district code) and numeric
    columns, of which ``variables`` are the model's covariates. Districts in the table with no
    respondents get a synthetic (regression) estimate, flagged as such.
    """

    covariates: str = Field(description="CSV with column `code` (district code) and numeric covariate columns")
    variables: Seq[str] = Field(min_length=1, description="covariate columns of the table used in the model")
    indicators: Seq[str] | None = Field(None, description="indicator ids (default: every indicator)")
    population: str | None = Field(None, description="column of the covariate table with each district's "
                                   "population, for benchmarking (default: the survey weights' district totals)")
    transform: Literal["arcsine", "logit", "none"] = Field(
        "arcsine", description="scale of the model: arcsine square root with effective sample sizes, logit "
        "(delta method), or none (the proportion itself)")
    method: Literal["reml", "ml"] = Field("reml", description="how the area variance sigma_u^2 is estimated")
    benchmark: Literal["ratio", "raking", "none"] = Field(
        "ratio", description="make the population-weighted county estimates add up to the province's direct "
        "estimate: ratio, raking (logit scale), or none")
    mse_bootstrap: int = Field(200, ge=20, description="parametric bootstrap replicates for the MSE on a "
                               "transformed scale")
    seed: int = Field(20261202, description="seed of the parametric bootstrap")

    @field_validator("variables")
    @classmethod
    def _distinct_columns(cls, variables):
        return _distinct(variables, "covariate columns")


class Analysis(Model):
    """Analysis choices, declared before looking at the results."""

    level: float = Field(0.95, gt=0, lt=1)
    comparison_rate: Literal["crude", "raked", "standardised"] | None = Field(
        None, description="the rate districts are compared on (default: standardised when the study has a "
        "standard population, else crude)")
    effects: EffectsAnalysis = Field(default_factory=EffectsAnalysis)
    small_area: SmallArea | None = Field(None, description="model-based county estimates (Fay–Herriot) where "
                                         "direct estimates fail the publication rule")


class Reports(Model):
    """How the reports write their files."""

    figure_files: Seq[Literal["svg", "png"]] = Field(
        ("svg",), description="the files written for each report figure under figures/: svg (vector; the "
        "pages embed the same drawing) and png (150 dpi, for documents that take no SVG). Each format costs "
        "one more drawing of every figure.")

    @field_validator("figure_files")
    @classmethod
    def _distinct_formats(cls, formats):
        return _distinct(formats, "formats")


class StudyConfig(Model):
    """Everything ``study.yaml`` says. Paths are relative to the file's folder."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
    title: Text
    city: Text | None = None
    waves: Seq[int] = ()
    districts: str | None = Field(None, description="CSV with columns code, number, name_zh, name_en")
    inputs: Seq[Input] = Field(min_length=1)
    variables: dict[str, Variable]
    label_variants: dict[str, dict[int | str, Seq[Label]]] = Field(
        default_factory=dict, description="extra accepted answer labels: instrument -> code -> labels")
    instruments: dict[str, dict | None] = Field(min_length=1, description="instrument id -> its settings")
    design: Design
    district_column: str
    pii: Pii = Field(default_factory=Pii)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    duplicates: Duplicates | None = None
    age_groups: AgeGroups | None = None
    margins: Margins | None = None
    standard_population: str | None = None
    services: Services | None = None
    pilot: Pilot | None = None
    indicators: Seq[Indicator] = ()
    subgroups: Seq[str] = Field((), description="variables whose levels the subgroup tables show")
    publication: Publication = Field(default_factory=Publication)
    analysis: Analysis = Field(default_factory=Analysis)
    reports: Reports = Field(default_factory=Reports)

    @field_validator("instruments", mode="before")
    @classmethod
    def _settings_or_empty(cls, value):
        return {k: (v or {}) for k, v in value.items()} if isinstance(value, dict) else value
