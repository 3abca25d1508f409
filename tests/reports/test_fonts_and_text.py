"""Chinese renders in figures with the project's own font (no empty boxes), the fontconfig file
points browsers at it, both language files have the same keys, and numbers are formatted as shown."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import warnings

import pandas as pd
import pytest
from matplotlib.figure import Figure

from survey.errors import ConfigError
from survey.reports import formatting
from survey.reports.fonts import FONT_FAMILY, cjk_font_path, fontconfig_file, use_cjk_font
from survey.reports.text import labels, text

CHINESE = "临江区居民心理健康素养达标率（PHQ-9 ≥ 10）：95%置信区间 −3.2"


def _render(text_to_draw: str) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = Figure(figsize=(6, 1))
        ax = fig.add_subplot()
        ax.set_title(text_to_draw)
        ax.set_xlabel(text_to_draw)
        fig.savefig(io.BytesIO(), format="png")
        fig.savefig(io.BytesIO(), format="svg")
    return [str(w.message) for w in caught]


def test_matplotlib_draws_chinese_with_the_projects_font_and_no_missing_glyph():
    assert use_cjk_font() == FONT_FAMILY
    messages = _render(CHINESE)
    assert not [m for m in messages if "missing from font" in m or "Glyph" in m], messages
    from matplotlib.font_manager import findfont, get_font

    path = findfont(FONT_FAMILY, fallback_to_default=False)
    assert os.path.samefile(path, cjk_font_path())
    font = get_font(path)
    assert all(font.get_char_index(ord(c)) != 0 for c in set(CHINESE) if c != " ")


def test_the_missing_glyph_check_bites_without_the_cjk_font():
    import matplotlib

    saved = matplotlib.rcParams["font.sans-serif"]
    try:
        matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]
        messages = _render(CHINESE)
    finally:
        matplotlib.rcParams["font.sans-serif"] = saved
    assert any("missing from font" in m for m in messages)


def test_fontconfig_file_makes_the_font_visible(tmp_path):
    conf = fontconfig_file(tmp_path)
    assert str(cjk_font_path().parent) in conf.read_text(encoding="utf-8")
    if shutil.which("fc-match") is None:
        pytest.skip("fc-match is not installed")
    found = subprocess.run(["fc-match", "-f", "%{family}", ":lang=zh-cn"], capture_output=True, text=True,
                           env={**os.environ, "FONTCONFIG_FILE": str(conf)}, check=True).stdout
    assert FONT_FAMILY in found


def _keys(tree, prefix=""):
    if not isinstance(tree, dict):
        return {prefix}
    return set().union(*(_keys(v, f"{prefix}.{k}" if prefix else str(k)) for k, v in tree.items()))


def test_both_languages_have_the_same_keys_and_fields():
    import re

    zh, en = labels("zh"), labels("en")
    assert _keys(zh) == _keys(en)
    for key in _keys(zh):
        def fields(tree, key=key):
            value = tree
            for part in key.split("."):
                value = value[part]
            return set(re.findall(r"{(\w+)", str(value)))
        assert fields(zh) == fields(en), key


def test_wording_errors_are_one_line():
    with pytest.raises(ConfigError, match=r"labels_zh.yaml: expected the key 'sections.nope.title'"):
        text("sections.nope.title", "zh")
    with pytest.raises(ConfigError, match=r"expected only known fields"):
        text("title", "en", district="x")
    with pytest.raises(ConfigError, match=r"lang: expected one of zh, en"):
        text("title", "de")


def test_percent_with_ci_marks_and_dashes():
    table = pd.DataFrame({"estimate": [0.2345, 0.05, 0.1, None], "ci_low": [0.21, 0.01, 0.05, None],
                          "ci_high": [0.26, 0.2, 0.2, None], "flag": ["present", "suppress", "footnote", "present"]})
    assert formatting.percent_with_ci(table).tolist() == ["23.5 (21.0–26.0)", "‡", "10.0 (5.0–20.0)†", "–"]


def test_points_with_ci_are_signed_with_minus_signs():
    table = pd.DataFrame({"estimate": [0.032, -0.01, 0.0], "ci_low": [-0.005, -0.02, -0.01],
                          "ci_high": [0.069, -0.001, 0.01]})
    expected = ["+3.2 (−0.5, 6.9)", "−1.0 (−2.0, −0.1)", "0.0 (−1.0, 1.0)"]
    assert formatting.points_with_ci(table).tolist() == expected


def test_ci_side_against_a_reference():
    table = pd.DataFrame({"ci_low": [0.31, 0.1, 0.2, None], "ci_high": [0.4, 0.2, 0.35, 0.3]})
    assert formatting.ci_side(table, 0.3).tolist() == ["above", "below", "overlaps", "unknown"]
