"""Headless Chromium for the reports: print them to PDF, and check pages (errors, fonts, links, print width).

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright for Python. The pages are
served from a loopback HTTP server (``127.0.0.1``, a free port) started for the check, the way
a person previews a site: ``file://`` pages behave differently from one Chromium release to the
next (some treat every ``file:`` URL as its own origin and log errors for the page itself). It renders
Chinese with the project's own font: a fontconfig file (``FONTCONFIG_FILE``) adds the folder
of ``pylopdf-fonts-zh-cn`` to the system's fonts, so no system CJK font is needed. For each
page, :func:`check_pages` records the console errors, page errors and failed requests, saves a
full-page screenshot, and asks Chromium (DevTools ``CSS.getPlatformFontsForNode``) which fonts
drew the page's main heading and how many glyphs each drew (and how many came from a web font
the page embeds), and which elements would be wider than an A4 page's text when printed.
:func:`broken_links` lists the links of a page that do not resolve. :class:`PdfPrinter` keeps one
browser open to print many pages to PDF (``survey report`` writes ``report.pdf`` with it).

Example
-------
>>> checks = check_pages([Path("reports/demo/index.html")], Path("reports/demo/screenshots"))  # doctest: +SKIP
>>> checks[0].errors, checks[0].heading_fonts                                                 # doctest: +SKIP
([], {'Noto Sans SC': 14})
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from survey.errors import ConfigError
from survey.reports.fonts import FONT_FAMILY, fontconfig_file

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass
class PageCheck:
    """What Chromium saw on one page."""

    page: Path
    screenshot: Path
    title: str
    heading: str
    errors: list[str] = field(default_factory=list)
    heading_fonts: dict[str, int] = field(default_factory=dict)
    #: glyphs of the heading drawn with a web font the page embeds (not a font of this machine)
    heading_web_font_glyphs: int = 0
    images: int = 0
    broken_images: int = 0
    #: elements wider than an A4 page's text (printed, they would be cut): "table#id 712 px > 688 px"
    print_overflow: list[str] = field(default_factory=list)

    @property
    def cjk_in_heading(self) -> int:
        """Chinese characters in the page's main heading."""
        return len(CJK.findall(self.heading))

    @property
    def cjk_font_glyphs(self) -> int:
        """Glyphs of the heading drawn with the project's CJK font."""
        return sum(n for family, n in self.heading_fonts.items() if family == FONT_FAMILY)

    def summary(self) -> str:
        fonts = ", ".join(f"{k} ({v} glyphs)" for k, v in self.heading_fonts.items()) or "none"
        overflow = "; ".join(self.print_overflow) or "nothing"
        return (f"{self.page.parent.name}/{self.page.name}: {len(self.errors)} console errors, "
                f"{self.images - self.broken_images}/{self.images} images shown, heading drawn with {fonts}, "
                f"wider than A4 in print: {overflow}; screenshot {self.screenshot}")


def chromium_path() -> str:
    """Debian's Chromium: ``/usr/bin/chromium``, else ``chromium`` on the PATH."""
    found = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if not found:
        raise ConfigError("browser check: expected Debian's chromium at /usr/bin/chromium, found none; "
                          "run `make test` (it installs it) or `sudo apt-get install chromium`")
    return found


def _heading_fonts(page) -> tuple[dict[str, int], int]:
    """Glyphs of the page's h1 per font family, and how many of them a web font (``@font-face``) drew."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    if not node:
        return {}, 0
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    session.detach()
    out: dict[str, int] = {}
    for font in fonts:
        out[font["familyName"]] = out.get(font["familyName"], 0) + int(font["glyphCount"])
    return out, sum(int(font["glyphCount"]) for font in fonts if font.get("isCustomFont"))


#: The text width of an A4 page with the print stylesheet's margins (210 mm - 2 x 14 mm), in CSS pixels.
A4_TEXT_WIDTH_PX = int((210 - 28) / 25.4 * 96)

_OVERFLOW_SCRIPT = """(limit) => {
  const out = [];
  for (const element of document.querySelectorAll("main table, main img, main figure, main pre, .tilemap")) {
    const width = Math.ceil(element.getBoundingClientRect().width);
    if (width > limit + 1) {
      const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "");
      out.push(name + " " + width + " px > " + limit + " px");
    }
  }
  return out;
}"""


def print_overflow(page, width: int = A4_TEXT_WIDTH_PX) -> list[str]:
    """Elements wider than an A4 page's text when the page is laid out for print (an open Playwright page)."""
    viewport = page.viewport_size
    page.emulate_media(media="print")
    page.set_viewport_size({"width": width, "height": 1100})
    try:
        return page.evaluate(_OVERFLOW_SCRIPT, width)
    finally:
        page.emulate_media(media="screen")
        if viewport:
            page.set_viewport_size(viewport)


def screenshot_name(page: Path, root: Path | None = None) -> str:
    """``en-linjiang-report.png`` for ``<root>/en/linjiang/report.html``; ``<folder>-<page>.png`` without a root."""
    page = Path(page).resolve()
    if root is not None and page.is_relative_to(Path(root).resolve()):
        parts = page.relative_to(Path(root).resolve()).with_suffix("").parts
    else:
        parts = (page.parent.name, page.stem)
    return "-".join(parts) + ".png"


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files from one folder without logging every request to stderr."""

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port) while the block runs; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="survey-page-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _served_root(pages: list[Path], root: Path | None) -> Path:
    """The folder to serve: ``root`` if given (every page must lie in it), else the pages' common folder."""
    if root is None:
        return Path(os.path.commonpath([str(p.parent) for p in pages]))
    root = Path(root).resolve()
    outside = [str(p) for p in pages if not p.is_relative_to(root)]
    if outside:
        raise ConfigError(f"browser check: expected pages inside {root}, found {outside[0]}")
    return root


@contextlib.contextmanager
def chromium(*, project_font: bool = True) -> Iterator:
    """A headless Chromium (Playwright ``Browser``) while the block runs.

    With ``project_font`` the browser also sees the project's CJK font through a fontconfig
    file; without it, it has only the machine's fonts (and whatever a page embeds).
    """
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="survey-fonts-") as fonts_dir:
        env = {**os.environ}
        if project_font:
            env["FONTCONFIG_FILE"] = str(fontconfig_file(fonts_dir))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, env=env)
            try:
                yield browser
            finally:
                browser.close()


def watch_errors(page) -> list[str]:
    """Start recording a page's console errors, page errors, failed requests and HTTP errors; the live list."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url[:120]} ({req.failure})"))
    page.on("response", lambda response: errors.append(f"HTTP {response.status}: {response.url[:120]}")
            if response.status >= 400 else None)
    return errors


def broken_links(page, base_url: str) -> list[str]:
    """The links of an open page (served under ``base_url``) whose target does not answer 200, or leaves the site.

    Fragment links (``#...``) must name an element of the page.
    """
    hrefs = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => [a.getAttribute('href'), a.href])")
    broken = []
    for written, resolved in hrefs:
        if written.startswith("#"):
            if not page.evaluate("(id) => !!document.getElementById(id)", written[1:]):
                broken.append(f"{written} (no such element)")
            continue
        if not resolved.startswith(base_url):
            broken.append(f"{written} (outside the reports)")
            continue
        response = page.request.get(resolved.split("#")[0])
        if response.status != 200:
            broken.append(f"{written} (HTTP {response.status})")
    return broken


def check_pages(pages: list[Path], screenshot_dir: Path, *, root: Path | None = None, width: int = 1280,
                height: int = 900, timeout_ms: int = 60_000, project_font: bool = True) -> list[PageCheck]:
    """Open each page in headless Chromium, served over loopback HTTP; return what it saw, with screenshots.

    The folder served is ``root`` (default: the pages' common folder), so links and images
    between pages under it resolve as on a web server. Full-page screenshots are written to
    ``screenshot_dir``, named by :func:`screenshot_name` (pass the reports folder as ``root``
    for names like ``en-linjiang-report.png``). Without ``project_font``, Chromium has only the
    machine's fonts: the pages must bring their own (they embed a subset of the CJK font).
    """
    pages = [Path(p).resolve() for p in pages]
    if not pages:
        return []
    served = _served_root(pages, root)
    screenshot_dir = Path(screenshot_dir)
    screenshot_dir.mkdir(parents=True, exist_ok=True)
    checks = []
    with serve_folder(served) as base_url, chromium(project_font=project_font) as browser:
        for page_path in pages:
            url = base_url + quote(page_path.relative_to(served).as_posix())
            page = browser.new_page(viewport={"width": width, "height": height})
            errors = watch_errors(page)
            page.goto(url, wait_until="load", timeout=timeout_ms)
            page.evaluate("document.fonts.ready.then(() => true)")
            shot = screenshot_dir / screenshot_name(page_path, root)
            page.screenshot(path=str(shot), full_page=True)
            heading = page.evaluate("(document.querySelector('h1') || {innerText: ''}).innerText")
            images = page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
            fonts, web_glyphs = _heading_fonts(page)
            checks.append(PageCheck(page=page_path, screenshot=shot, title=page.title(), heading=heading,
                                    errors=errors, heading_fonts=fonts, heading_web_font_glyphs=web_glyphs,
                                    images=len(images), broken_images=images.count(False),
                                    print_overflow=print_overflow(page)))
            page.close()
    return checks


#: How report pages are printed: A4 (the page's own @page rule), backgrounds, a tagged PDF with an outline.
PDF_OPTIONS = {"format": "A4", "print_background": True, "prefer_css_page_size": True,
               "display_header_footer": False, "tagged": True, "outline": True}


class PdfPrinter:
    """Headless Chromium kept open to print many report pages to PDF (one per worker process).

    The page is loaded from its HTML text (``set_content``), not from its file: the PDF then holds
    no path of this machine (Chromium would write the page's ``file://`` address into links).
    Page numbers and margins come from the page's print stylesheet (``@page``), not from
    Chromium's header and footer (which print the address and the date).
    """

    def __init__(self) -> None:
        self._playwright = None
        self._browser = None
        self._tab = None
        self._fonts = None

    def start(self) -> PdfPrinter:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._fonts = tempfile.TemporaryDirectory(prefix="survey-pdf-fonts-")
            env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(self._fonts.name))}
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS,
                                                             env=env)
        return self

    def print_pdf(self, page: Path, pdf: Path, *, timeout_ms: int = 120_000) -> Path:
        """Print the HTML page at ``page`` to ``pdf`` (written under a temporary name, then renamed)."""
        self.start()
        pdf = Path(pdf)
        temporary = pdf.with_name(f".{pdf.name}.tmp{os.getpid()}")
        if self._tab is None or self._tab.is_closed():
            self._tab = self._browser.new_page()  # one tab for every page: a new one costs a renderer process
        try:
            self._tab.set_content(Path(page).read_text(encoding="utf-8"), wait_until="load", timeout=timeout_ms)
            self._tab.evaluate("document.fonts.ready.then(() => true)")
            self._tab.pdf(path=str(temporary), **PDF_OPTIONS)
        except BaseException:
            temporary.unlink(missing_ok=True)
            self._tab.close()
            self._tab = None
            raise
        os.replace(temporary, pdf)
        return pdf

    def close(self) -> None:
        browser, playwright, fonts = self._browser, self._playwright, self._fonts
        self._browser = self._playwright = self._fonts = self._tab = None
        try:
            if browser is not None:
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()
            if fonts is not None:
                fonts.cleanup()
