"""Commands of the synthetic example studies: run one end to end with its checks, regenerate its files."""

from __future__ import annotations

from pathlib import Path

import typer

from survey.cli.app import STUDY_HELP, app


@app.command()
def demo(
    study: Path = typer.Argument(Path("data/demo/study.yaml"), help=STUDY_HELP),
    lang: list[str] = typer.Option(None, "--lang", help="Report language(s), zh and/or en (default: both, "
                                   "Chinese first)."),
) -> None:
    """Run every step on a study (the demo by default), then the demo's own checks against what its generator made."""
    from survey.demo.run import LANGUAGES, run_demo

    languages = tuple(lang) if lang else LANGUAGES
    unknown = [x for x in languages if x not in LANGUAGES]
    if unknown:
        raise typer.BadParameter(f"expected zh or en, found {unknown[0]!r}", param_hint="--lang")
    run_demo(study, echo=typer.echo, languages=languages)


@app.command("generate-demo")
def generate_demo(
    out_dir: Path = typer.Argument(None, help="Folder of the study (default: data/<study>)."),
    study: str = typer.Option("demo", "--study", help="Which synthetic study: demo (清河市, two waves) or nanhu "
                              "(南湖市, one wave, one 问卷星-style export)."),
    districts: int = typer.Option(None, "--districts", min=2, help="Demo only: 8 (the default) is the demo city; "
                                  "any other number a fictional province of that many counties, with its study.yaml "
                                  "and county covariates."),
    seed: int = typer.Option(None, "--seed", help="Random seed (default: the example's own, which makes the "
                             "committed files)."),
) -> None:
    """Regenerate a synthetic example study's exports and its generator's record (same seed, same files)."""
    from survey.demo.checks import TRUTH_FILE

    if study not in ("demo", "nanhu"):
        raise typer.BadParameter(f"expected demo or nanhu, found {study!r}", param_hint="--study")
    out_dir = out_dir or Path("data") / study
    if study == "nanhu":
        from survey.demo.nanhu import generate as generate_nanhu

        if districts is not None:
            raise typer.BadParameter("the nanhu example has its own five districts", param_hint="--districts")
        made = generate_nanhu(out_dir, seed=seed)
        typer.echo(f"wrote {out_dir / 'raw'}, {out_dir / 'districts.csv'} and {out_dir / TRUTH_FILE}: "
                   f"planted {made['planted']}")
        return
    from survey.demo.generate import generate

    try:
        made = generate(out_dir, seed=seed, districts=districts)
    except ValueError as error:  # too many counties for the name syllables
        raise typer.BadParameter(str(error), param_hint="--districts") from None
    written = f"{out_dir / 'raw'} and {out_dir / TRUTH_FILE}"
    if "county_offsets" in made:
        written = f"{out_dir / 'study.yaml'}, {out_dir / 'county_covariates.csv'}, " + written
    typer.echo(f"wrote {written}: planted {made['planted']['total']}")
