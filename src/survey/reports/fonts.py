"""The CJK font the reports use: Noto Sans SC from the PyPI package ``pylopdf-fonts-zh-cn``.

The project's own set-up installs the font (it is in the pinned requirements), so a fresh
machine needs no system CJK font: matplotlib registers the font file directly, and headless
Chromium finds it through a fontconfig file that adds the package's font folder. The pages carry
their own copy: :func:`font_face_css` embeds the font for the characters a page uses (WOFF, about
120 KB for a district report): a smaller TrueType subset for the study's wording
(:func:`base_font`, cached under :func:`cache_dir`), whole when the page uses most of it, else a
subset of exactly the page's characters.

Noto Sans SC is licensed under the SIL Open Font License 1.1 (the licence ships with the
package).

Example
-------
>>> from survey.reports.fonts import use_cjk_font
>>> use_cjk_font()                      # doctest: +SKIP
'Noto Sans SC'
"""

from __future__ import annotations

import functools
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


# ---- the font embedded in the pages: a subset of Noto Sans SC as a web font
#: The family name pages use for the embedded subset (the font's own name: Chromium reports it).
WEB_FONT_FAMILY = FONT_FAMILY
#: Characters every page may use besides its text: ASCII, Latin-1 punctuation, the marks, CJK punctuation.
BASE_CHARACTERS = ("".join(chr(c) for c in range(0x20, 0x7F)) + "·×÷±°§¶‡†–—−‘’“”…‰′″≤≥≈≠→←↑↓↕•"
                   "　、。〈〉《》「」『』【】〔〕！（），．：；？［］｛｝～￥％＋－＝／")


def cache_dir() -> Path:
    """Where the workspace keeps files it can rebuild: ``$SURVEY_CACHE_DIR``, else ``~/.cache/survey-workspace``."""
    import os

    if os.environ.get("SURVEY_CACHE_DIR"):
        return Path(os.environ["SURVEY_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "survey-workspace"


def _subset(source, characters: set[str], flavor: str | None, names: list | None = None):
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source, lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    options = subset.Options()
    options.flavor = flavor
    options.notdef_outline = True
    options.hinting = True  # keeps the hints as they are: removing them means interpreting every glyph
    # names, version and the licence (OFL: it travels with the font); "*" keeps a base font's (faster)
    options.name_IDs = names if names is not None else [0, 1, 2, 3, 4, 5, 6, 13, 14]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted({ord(c) for c in characters}))
    subsetter.subset(font)
    return font


def _as_truetype(font) -> None:
    """Replace the font's CFF outlines by TrueType (quadratic) ones: later subsets need no charstring interpreter."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attribute in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                      "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth"):
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    font.sfntVersion = "\x00\x01\x00\x00"
    font["head"].glyphDataFormat = 0
    font.recalcBBoxes = True


def base_font(characters: str | set[str]) -> Path:
    """A TrueType subset of Noto Sans SC for ``characters`` (and :data:`BASE_CHARACTERS`), cached on disk.

    Subsetting the full 8 MB CFF font takes about 1–2 s; a page's subset taken from this smaller
    TrueType font a tenth of that. The file is named by a hash of the font and the characters,
    under :func:`cache_dir`, and rebuilt when missing.
    """
    import hashlib
    import os
    import tempfile

    wanted = set(characters) | set(BASE_CHARACTERS)
    source = cjk_font_path()
    key = hashlib.sha256(f"{source.name}:{source.stat().st_size}:".encode() + "".join(sorted(wanted)).encode())
    folder = cache_dir() / "fonts"
    path = folder / f"{source.stem}-{key.hexdigest()[:20]}.ttf"
    if path.is_file():
        return path
    font = _subset(str(source), wanted, None)
    _as_truetype(font)
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    os.close(handle)
    try:
        font.save(temporary)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def _covered(path: Path) -> frozenset[int]:
    return _cmap_of(str(path), path.stat().st_mtime_ns)


@functools.cache
def _cmap_of(path: str, _mtime: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path, lazy=True).getBestCmap())


#: base font -> the base font widened by the characters a page needed beyond it (this process's pages)
_WIDENED: dict[Path, Path] = {}


def _source_for(characters: set[str], base: Path | None) -> Path:
    """The smallest font file that covers ``characters``: ``base``, ``base`` widened once, or the full font.

    A page with characters the base lacks (a name in an instrument file, an accented author) widens
    the base once (:func:`base_font` of both sets, cached on disk); the pages after it subset the
    widened file, so a study pays for the full font once, not on every page.
    """
    full = cjk_font_path()
    if base is None:
        return full
    wanted = {ord(c) for c in characters} & _covered(full)  # a character the font lacks is drawn by a fallback
    for candidate in (_WIDENED.get(base), base):
        if candidate is not None and wanted <= _covered(candidate):
            return candidate
    widened = base_font({chr(c) for c in _covered(_WIDENED.get(base, base)) | wanted})
    _WIDENED[base] = widened
    return widened


#: A page that uses at least this share of its base font's characters embeds the base font whole:
#: subsetting it saves little (the demo's Chinese pages use 70% of it, and their subset is no smaller)
#: and costs a tenth of a second per page.
WHOLE_BASE_SHARE = 0.6


def web_font(text: str, base: Path | None = None) -> bytes:
    """A WOFF of the CJK font covering the characters of ``text`` it has glyphs for.

    Taken from ``base`` (a :func:`base_font`), widened when the text needs more (see
    :func:`_source_for`), else from the full font. A subset of exactly the text's characters,
    unless the text uses most of the base font's characters (:data:`WHOLE_BASE_SHARE`): then the
    base font itself, converted to WOFF once per process.
    """
    characters = frozenset(c for c in set(text) if not c.isspace() or c in " \u3000")
    source = _source_for(characters, base)
    from_base = source != cjk_font_path()
    if from_base:
        covered = _covered(source)
        if len({ord(c) for c in characters} & covered) >= WHOLE_BASE_SHARE * len(covered):
            characters = None  # the whole base font
    return _woff(str(source), source.stat().st_mtime_ns, characters, from_base)


@functools.lru_cache(maxsize=16)
def _woff(path: str, _mtime: int, characters: frozenset[str] | None, from_base: bool) -> bytes:
    """``path`` as WOFF: its subset for ``characters``, or all of it (``None``); kept for the next page
    that needs the same (every English page of a study uses the same characters)."""
    import io

    from fontTools.ttLib import TTFont

    if characters is None:
        font = TTFont(path, recalcBBoxes=False, recalcTimestamp=False)
        font.flavor = "woff"
    else:
        font = _subset(path, set(characters), "woff", names=["*"] if from_base else None)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def font_face_css(text: str, base: Path | None = None) -> str:
    """A ``@font-face`` rule embedding :func:`web_font` of ``text`` as a data URI (family :data:`WEB_FONT_FAMILY`)."""
    import base64

    data = base64.b64encode(web_font(text, base)).decode()
    return (f'@font-face {{ font-family: "{WEB_FONT_FAMILY}"; font-style: normal; font-weight: 400; '
            f'font-display: block; src: url(data:font/woff;base64,{data}) format("woff"); }}')
