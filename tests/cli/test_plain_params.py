"""PlainCommand converts values as typer does, without pydantic for plain types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from survey.cli.plain_params import PlainCommand, PlainGroup


def make_app(plain: bool) -> typer.Typer:
    app = typer.Typer(cls=PlainGroup if plain else None, add_completion=False)

    @app.command(cls=PlainCommand if plain else None)
    def run(
        data: Path = typer.Argument(...),
        name: str = typer.Option(None, "--name"),
        scale: float = typer.Option(None, "--scale"),
        low: float = typer.Option(None, "--low", min=0),
        count: int = typer.Option(None, "--count"),
        flag: bool = typer.Option(False, "--flag"),
        na: list[str] = typer.Option(None, "--na"),
        output: Path = typer.Option(None, "-o"),
        must: Path = typer.Option(None, "--must", exists=True),
    ) -> None:
        values = dict(data=data, name=name, scale=scale, low=low, count=count, flag=flag, na=na, output=output,
                      must=must)
        typer.echo(json.dumps({k: [type(v).__name__, str(v)] for k, v in values.items()}))

    @app.command()
    def other() -> None:
        pass

    return app


CASES = [
    ["x.csv"],
    ["x.csv", "--name", "a b", "--scale", "0.5", "--flag", "--na", "NA", "--na", ".", "-o", "out/t.csv"],
    ["x.csv", "--scale", "-2.5e-3", "--count", "7", "--low", "3"],
    ["x.csv", "--scale", "1_000"],
    *(["x.csv", "--scale", v] for v in ("1.", ".5", "+3", "-0", "007", "1E-3", "00.5e+01")),
    ["x.csv", "--scale", "inf"],
    ["x.csv", "--scale", " 2"],
    ["x.csv", "--scale", "abc"],
    ["x.csv", "--low", "-1"],
    ["x.csv", "--count", "1.5"],
    ["x.csv", "--must", "not-there.csv"],
    ["x.csv", "--must", "."],
    ["x.csv", "--flag", "--name", ""],
    ["--help"],
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(c) for c in CASES])
def test_same_values_and_messages_as_typer(args):
    runner = CliRunner()
    ours = runner.invoke(make_app(True), ["run", *args])
    typers = runner.invoke(make_app(False), ["run", *args])
    assert (ours.exit_code, ours.output) == (typers.exit_code, typers.output)


def test_plain_values_need_no_pydantic_adapter(monkeypatch):
    import typer._coercion

    def refuse(descriptor):
        raise AssertionError(f"typer's conversion used for {descriptor.annotation}")

    monkeypatch.setattr("survey.cli.plain_params.build_runtime_param", refuse)
    monkeypatch.setattr(typer._coercion, "build_runtime_param", refuse)
    monkeypatch.setattr("typer.core.build_runtime_param", refuse)
    result = CliRunner().invoke(make_app(True), ["run", "x.csv", "--name", "a", "--scale", "1.5", "--flag",
                                                 "--na", "NA", "-o", "t.csv"])
    assert result.exit_code == 0, result.output
    values = json.loads(result.output)
    assert values["scale"] == ["float", "1.5"] and values["na"] == ["list", "['NA']"]
    assert values["data"] == ["PosixPath", "x.csv"] and values["flag"] == ["bool", "True"]
