"""Commands of the reports step."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from survey.cli.app import STUDY_HELP, app


@app.command()
def report(
    study: Path = typer.Argument(..., help=STUDY_HELP),
    district: str = typer.Option("all", "--district", "-d",
                                 help="District code or name (Chinese or English), several separated by "
                                      "commas, or 'all'."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Districts run at once, each in its own process."),
    lang: str = typer.Option("zh", "--lang", help="Report language: zh (reports/<study>/) or en "
                                                  "(reports/<study>/en/)."),
    force: bool = typer.Option(False, "--force", help="Rebuild every district even if its inputs are unchanged."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also print each page to report.pdf (A4) with Debian's "
                                                          "Chromium."),
    check_browser: bool = typer.Option(False, "--check-browser",
                                       help="Open the index and the first district page in headless Chromium; "
                                            "screenshots go to reports/<study>/screenshots/."),
) -> None:
    """Build one report per district (HTML and A4 PDF; papermill, in parallel) and the city's index page.

    Intake, scoring, estimation and effects run first if their outputs are missing or stale.
    Reruns redo only changed or failed districts. Failures are named one per line (exit status 1).
    """
    from survey.reports.runner import build_reports

    result = build_reports(study, district, jobs=jobs, lang=lang, force=force, pdf=pdf, echo=typer.echo)
    typer.echo(result.summary(failures=False))
    if check_browser:
        from survey.reports.browser import check_pages

        built = [Path(o.html) for o in result.outcomes if o.status != "failed" and o.html]
        pages = [result.index, *built[:1]]
        reports_dir = result.study.reports_dir
        for check in check_pages(pages, reports_dir / "screenshots", root=reports_dir):
            typer.echo(check.summary())
            for error in check.errors:
                typer.echo(f"  {error}", err=True)
    if not result.ok:
        for line in result.failure_lines():
            typer.echo(f"error: {line}", err=True)
        sys.exit(1)
