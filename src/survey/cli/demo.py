"""Commands of the synthetic example studies: run one end to end with its checks, regenerate its files."""

from __future__ import annotations

from pathlib import Path

import typer

from survey.cli.app import STUDY_HELP, app


@app.command()
def demo(study: Path = typer.Argument(Path("data/demo/study.yaml"), help=STUDY_HELP)) -> None:
    """Run every step on a study (the demo by default), then the demo's own checks against what its generator made."""
    from survey.demo.run import run_demo

    run_demo(study, echo=typer.echo)


@app.command("generate-demo")
def generate_demo(out_dir: Path = typer.Argument(Path("data/demo"), help="Folder of the demo study.")) -> None:
    """Regenerate the demo study's synthetic exports and its generator's record (same seed, same files)."""
    from survey.demo.checks import TRUTH_FILE
    from survey.demo.generate import generate

    made = generate(out_dir)
    typer.echo(f"wrote {out_dir / 'raw'} and {out_dir / TRUTH_FILE}: planted {made['planted']['total']}")
