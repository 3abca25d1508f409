"""The report figures' layout (survey.reports.layout.fit) and the figure files a report writes.

fit measures only the labels that set a margin; these tests draw each report figure in full and
check with matplotlib's own measurement of everything drawn (``get_tightbbox``) that every label
lies inside the figure, that panels do not run into each other, and that no margin is wasted."""

from __future__ import annotations

import struct

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from survey.errors import ConfigError
from survey.reports import figures
from survey.reports.layout import PAD, fit
from survey.reports.section import PNG_DPI, ReportFigure, Section
from survey.study.model import Reports

LONG = "围产期抑郁症状检出率（EPDS ≥ 13，产后一年内）"


def _indicator_table() -> pd.DataFrame:
    return pd.DataFrame({"label": ["心理健康素养达标率", LONG, "Insomnia (ISI ≥ 15)"],
                         "estimate": [0.31, 0.08, -0.02], "ci_low": [0.25, 0.05, -0.05],
                         "ci_high": [0.37, 0.12, 0.01], "flag": ["present", "suppress", "present"],
                         "city_estimate": [0.26, 0.07, 0.0], "city_ci_low": [0.24, 0.06, -0.01],
                         "city_ci_high": [0.28, 0.08, 0.01], "city_flag": ["present"] * 3})


def _waves() -> pd.DataFrame:
    return pd.DataFrame({"wave": [2021, 2022, 2023, 2024] * 2, "district": ["district"] * 4 + ["city"] * 4,
                         "estimate": [0.2, 0.24, 0.3, 0.41] * 2, "ci_low": [0.15, 0.2, 0.25, 0.36] * 2,
                         "ci_high": [0.25, 0.28, 0.35, 0.46] * 2, "flag": ["present"] * 8})


def _services() -> pd.DataFrame:
    years = [2021, 2022, 2023, 2024]
    return pd.DataFrame({"district": ["district"] * 4 + ["city"] * 4, "year": years * 2,
                         "counsellors": [3.5, 3.5, 3.5, 5.0, 3.8, 3.9, 4.0, 4.8],
                         "rooms": [3.8, 3.8, 3.8, 5.6, 6.0, 6.1, 6.2, 7.4],
                         "calls": [1390.0, 1400.0, 1720.0, 23500.0, 1240.0, 1320.0, 1410.0, 1800.0]})


def _pilot() -> pd.DataFrame:
    rows = []
    for indicator in ("literacy", "depression"):
        for group, level in (("pilot", 0.25), ("comparison", 0.19)):
            for wave, step in ((2023, 0.0), (2024, 0.06)):
                rows.append({"indicator": indicator, "wave": wave, "group": group, "estimate": level + step,
                             "ci_low": level + step - 0.02, "ci_high": level + step + 0.02, "flag": "present"})
    return pd.DataFrame(rows)


FIGURES = {
    "estimates": lambda: figures.estimates_beside_city(_indicator_table(), district_name="临江区",
                                                       city_name="清河市", xlabel="百分比（%）及95%置信区间"),
    "changes": lambda: figures.changes_beside_city(_indicator_table(), district_name="Linjiang",
                                                   city_name="Qinghe", xlabel="Change (percentage points)"),
    "targets": lambda: figures.literacy_against_targets(_waves(), {"2022": 0.2, "2030": 0.3},
                                                        district_name="临江区", city_name="清河市",
                                                        ylabel="心理健康素养达标率（%）",
                                                        target_label="{year}年目标 {value:.0f}%"),
    "services": lambda: figures.services_over_years(_services(), {"counsellors": "心理咨询师", "rooms": "心理咨询室",
                                                                  "calls": "心理援助热线来电"},
                                                    district_name="临江区", city_name="清河市", pilot_start=2023,
                                                    pilot_label="试点开始", ylabel="每10万常住人口", xlabel="年份"),
    "pilot": lambda: figures.pilot_before_after(_pilot(), panel_titles={"literacy": "心理健康素养达标率",
                                                                        "depression": LONG},
                                                group_names={"pilot": "试点地区", "comparison": "对照地区"},
                                                start=2023, start_label="试点开始", ylabel="百分比（%）"),
}


def _drawn_boxes(fig):
    """Each visible axes' full extent as drawn (with its labels and title) and the figure legends', in inches."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible()]
    legends = [legend.get_window_extent(renderer) for legend in fig.legends]
    return [b.transformed(fig.dpi_scale_trans.inverted()) for b in boxes], \
        [b.transformed(fig.dpi_scale_trans.inverted()) for b in legends]


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_label_lies_inside_the_figure_and_no_margin_is_wasted(name):
    fig = FIGURES[name]()
    assert fig.get_layout_engine() is None  # nothing redraws the figure to lay it out
    boxes, legends = _drawn_boxes(fig)
    width, height = fig.get_size_inches()
    tolerance = 0.02  # inches: what a measured label and a drawn one may differ by
    everything = boxes + legends
    assert min(b.x0 for b in everything) >= -tolerance and max(b.x1 for b in everything) <= width + tolerance
    assert min(b.y0 for b in everything) >= -tolerance and max(b.y1 for b in everything) <= height + tolerance
    # the grid reaches to within the pad (and a little) of each edge: the margins are the labels, not guesses
    slack = PAD + 0.12
    assert min(b.x0 for b in boxes) <= slack and min(b.y0 for b in boxes) <= slack
    assert max(b.y1 for b in everything) >= height - slack


@pytest.mark.parametrize("name", ["services", "pilot"])
def test_panels_side_by_side_do_not_run_into_each_other(name):
    boxes, _ = _drawn_boxes(FIGURES[name]())
    boxes = sorted(boxes, key=lambda b: b.x0)
    assert len(boxes) >= 2
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.x1 <= right.x0 + 0.02, (left, right)


@pytest.mark.parametrize("chart", [figures.estimates_beside_city, figures.changes_beside_city])
def test_the_mark_of_a_withheld_top_row_lies_inside_the_axes(chart):
    table = _indicator_table().assign(flag=["suppress", "present", "present"], suppressed=[True, False, False])
    ax = chart(table, district_name="d", city_name="c", xlabel="%").axes[0]
    marks = [t for t in ax.texts if t.get_text() == figures.SUPPRESSED_MARK]
    low, high = ax.get_ylim()
    assert len(marks) == 1 and low < marks[0].xy[1] < high


def test_a_label_too_long_for_the_figure_is_an_error_not_a_squashed_panel():
    table = _indicator_table().assign(label=["很" * 120, "b", "c"])
    with pytest.raises(ValueError, match="leave no room"):
        figures.estimates_beside_city(table, district_name="d", city_name="c", xlabel="%")


def test_fit_refuses_axes_from_two_grids():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    fig.add_subplot(1, 2, 1)
    fig.add_gridspec(2, 1).subplots()
    with pytest.raises(ValueError, match="one grid"):
        fit(fig)


def test_a_report_writes_svg_figures_and_png_only_when_asked(tmp_path):
    def section():
        return Section("s", "t", figures=[ReportFigure("services", FIGURES["services"](), alt="a")])

    written = section().save(tmp_path / "default")
    assert [p.name for p in written] == ["services.svg"]
    assert not (tmp_path / "default" / "figures" / "services.png").exists()

    both = section()
    written = both.save(tmp_path / "both", ("svg", "png"))
    assert sorted(p.name for p in written) == ["services.png", "services.svg"]
    width, height = both.figures[0].figure.get_size_inches()
    png = (tmp_path / "both" / "figures" / "services.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (round(width * PNG_DPI), round(height * PNG_DPI))

    both.save(tmp_path / "both")  # the next build asks for SVG only: the earlier PNG goes
    assert not (tmp_path / "both" / "figures" / "services.png").exists()

    png_only = section()
    png_only.save(tmp_path / "png", ("png",))
    assert png_only.figures[0].svg is None and 'src="data:image/svg+xml;base64,' in png_only.figures[0].to_html()
    with pytest.raises(ValueError, match="expected svg or png"):
        section().save(tmp_path / "pdf", ("pdf",))


def test_the_study_says_which_figure_files_once_each(tmp_path):
    assert Reports().figure_files == ("svg",)
    assert Reports(figure_files=["svg", "png"]).figure_files == ("svg", "png")
    for wrong in (["svg", "svg"], ["pdf"]):
        with pytest.raises(ValueError):
            Reports(figure_files=wrong)


def test_a_study_yaml_asking_for_png_is_read(tmp_path):
    import shutil
    from pathlib import Path

    from survey.study import load_study

    nanhu = Path(__file__).resolve().parents[2] / "data" / "nanhu"
    folder = shutil.copytree(nanhu, tmp_path / "nanhu", ignore=shutil.ignore_patterns("processed"))
    config = folder / "study.yaml"
    text = config.read_text(encoding="utf-8")
    assert load_study(config).config.reports.figure_files == ("svg",)
    config.write_text(text + "\nreports:\n  figure_files: [svg, png]\n", encoding="utf-8")
    assert load_study(config).config.reports.figure_files == ("svg", "png")
    config.write_text(text + "\nreports:\n  figure_files: [svg, jpeg]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="figure_files"):
        load_study(config)


def test_an_index_of_a_study_asking_for_png_only_still_embeds_its_forest_plot(report_data, tmp_path):
    import base64
    import dataclasses

    from survey.reports.index import prepare_index

    config = report_data.study.config.model_copy(update={"reports": Reports(figure_files=("png",))})
    data = dataclasses.replace(report_data, study=dataclasses.replace(report_data.study, config=config))
    prepared = prepare_index(data, lang="zh", root=tmp_path)
    figures_folder = tmp_path / "overview" / "figures"
    assert (figures_folder / "forest.png").is_file() and not (figures_folder / "forest.svg").exists()
    assert base64.b64decode(prepared.forest["svg"]).lstrip().startswith(b"<?xml")
