"""`survey init`: draft a study.yaml from raw exports."""

from __future__ import annotations

from pathlib import Path

import typer

from survey.cli.app import app


@app.command("init")
def init(
    files: list[Path] = typer.Argument(..., help="The raw exports (CSV, XLSX, SAV, Parquet)."),
    out: Path = typer.Option(..., "--out", "-o", help="The study.yaml to write, e.g. data/<study>/study.yaml."),
    study_id: str = typer.Option(None, "--id", help="Study id (default: the name of --out's folder)."),
    instruments: str = typer.Option(None, "--instruments", help="Instrument ids to look for, comma-separated "
                                    "(default: every instrument in the library)."),
    answers: Path = typer.Option(None, "--answers", help="A YAML file of TODO id -> text: fill those TODO lines."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
) -> None:
    """Draft a configuration: items, answer codes, demographics and identifiers matched; the rest as TODO lines.

    Prints what was matched (counts and names, never cell values). Review the draft, fill its
    `# TODO(...)` lines, then run `survey validate` on it.
    """
    from survey.errors import ConfigError
    from survey.init import draft_study, fill_todos, read_answers, write_draft

    if out.exists() and not force:
        raise ConfigError(f"{out}: exists; choose another --out or add --force to overwrite it")
    wanted = [part.strip() for part in instruments.split(",") if part.strip()] if instruments else None
    draft = draft_study(files, out, study_id=study_id, instruments=wanted)
    text, left = draft.text, draft.todo_ids
    if answers is not None:
        text, left = fill_todos(text, read_answers(answers))
    write_draft(out, text)
    typer.echo(draft.summary())
    typer.echo(f"wrote {out}: {len(left)} TODO line(s) left" + (f" ({', '.join(left)})" if left else ""))
