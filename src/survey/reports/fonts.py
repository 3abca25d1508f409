"""The CJK font the reports use: Noto Sans SC from the PyPI package ``pylopdf-fonts-zh-cn``.

The project's own set-up installs the font (it is in the pinned requirements), so a fresh
machine needs no system CJK font: matplotlib registers the font file directly, and headless
Chromium finds it through a fontconfig file that adds the package's font folder.

Noto Sans SC is licensed under the SIL Open Font License 1.1 (the licence ships with the
package).

Example
-------
>>> from survey.reports.fonts import use_cjk_font
>>> use_cjk_font()                      # doctest: +SKIP
'Noto Sans SC'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from survey.errors import ConfigError

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"
FONT_FAMILY = "Noto Sans SC"
#: Glyphs the CJK font lacks fall back to these (matplotlib falls back glyph by glyph).
FALLBACK_FAMILIES = ("DejaVu Sans",)


def cjk_font_path() -> Path:
    """Path of the Noto Sans SC font file inside the installed ``pylopdf-fonts-zh-cn`` package."""
    try:
        path = Path(str(resources.files(FONT_PACKAGE) / FONT_FILE))
    except ModuleNotFoundError:
        raise ConfigError(f"CJK font: expected the package pylopdf-fonts-zh-cn ({FONT_PACKAGE}) to be installed, "
                          "found none; run `make setup`") from None
    if not path.is_file():
        raise ConfigError(f"CJK font: expected {FONT_FILE} in the package {FONT_PACKAGE}, found no such file at {path}")
    return path


def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and make it the default sans-serif family.

    Safe to call more than once. Returns the family name matplotlib knows the font by.
    """
    import matplotlib
    from matplotlib import font_manager

    path = cjk_font_path()
    if not any(Path(entry.fname) == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, *FALLBACK_FAMILIES]
    return family


def fontconfig_file(folder: str | Path) -> Path:
    """Write a ``fonts.conf`` that adds the CJK font's folder to the system's fonts; return its path.

    Point ``FONTCONFIG_FILE`` at it for a browser (or any fontconfig program) so that it renders
    Chinese with the project's font even where no CJK font is installed system-wide.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{cjk_font_path().parent}</dir>\n"
        f"  <cachedir>{folder / 'cache'}</cachedir>\n"
        "</fontconfig>\n",
        encoding="utf-8",
    )
    return conf
