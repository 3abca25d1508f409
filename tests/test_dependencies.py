"""Declared dependencies match what the code imports, and the lock is exactly their closure.

From ``pyproject.toml``, both ways:

* every third-party package that ``src/survey``, the notebooks or the tests import is declared
  (runtime, or an extra that fits: the library may use runtime and ``reports``; the notebooks
  also ``notebooks``; the tests anything);
* every declared package is used: imported, or loaded by name (the reasons are listed in
  ``USED_BY_NAME``, each checked to be true of the code);
* ``requirements/lock.txt`` pins every declared package, and holds nothing that the declared
  packages do not need (their transitive closure, from the installed metadata);
* ``environment.yml`` lists the declared packages at the lock's versions.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import json
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "survey"

#: Declared packages that are used without an ``import`` of their own, with where that happens.
USED_BY_NAME = {
    "python-calamine": ("src/survey/intake/readers.py", "calamine"),    # pandas' fast engine for .xlsx
    "xlsxwriter": ("src/survey/reports/section.py", "xlsxwriter"),      # pandas' engine writing .xlsx
    "pyarrow": ("src/survey/intake/ingest.py", "parquet"),              # pandas' Parquet engine
    "ipykernel": ("Makefile", "ipykernel install"),                     # the kernel papermill runs
    "pylopdf-fonts-zh-cn": ("src/survey/reports/fonts.py", "pylopdf_fonts_zh_cn"),  # importlib.resources
    "jupyterlab": ("Makefile", "jupyter lab"),                          # make lab
    "nbval": ("pyproject.toml", "--nbval-lax"),                         # pytest plugin
    "pytest-xdist": ("Makefile", "--dist loadfile"),                   # pytest plugin: make test on 2 cores
    "ruff": ("Makefile", "ruff check"),                                 # make test lints
    "mypy": ("CONTRIBUTING.md", "mypy"),                                # the type check
}
#: Which extras each part of the tree may import from (runtime always).
ALLOWED_EXTRAS = {"src": {"reports"}, "notebooks": {"reports", "notebooks"}, "tests": None}  # None: any


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def declared() -> dict[str, set[str]]:
    """Group ('runtime' or an extra's name) -> canonical names declared in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"runtime": project["dependencies"], **project.get("optional-dependencies", {})}
    return {group: {canonical(Requirement(r).name) for r in reqs} for group, reqs in groups.items()}


def all_declared() -> set[str]:
    return set().union(*declared().values())


def _imports_of_source(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _notebook_source(path: Path) -> str:
    book = json.loads(path.read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code"]
    return "\n".join(line for cell in cells for line in cell.splitlines() if not line.lstrip().startswith(("%", "!")))


@cache
def imports_by_part() -> dict[str, dict[str, set[str]]]:
    """Part of the tree -> third-party module -> files importing it."""
    local = {p.stem for p in (ROOT / "tests").rglob("*.py")}
    ignore = set(sys.stdlib_module_names) | {"survey", "__future__"} | local
    sources = {
        "src": [(p, p.read_text(encoding="utf-8")) for p in SRC.rglob("*.py")],
        "notebooks": [(p, _notebook_source(p)) for p in (ROOT / "notebooks").glob("*.ipynb")],
        "tests": [(p, p.read_text(encoding="utf-8")) for p in (ROOT / "tests").rglob("*.py")],
    }
    out: dict[str, dict[str, set[str]]] = {}
    for part, files in sources.items():
        found: dict[str, set[str]] = {}
        for path, source in files:
            for module in _imports_of_source(source) - ignore:
                found.setdefault(module, set()).add(str(path.relative_to(ROOT)))
        out[part] = found
    return out


@cache
def _module_owners() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def distributions_of(module: str) -> set[str]:
    return {canonical(d) for d in _module_owners().get(module, [])}


def undeclared_imports() -> list[str]:
    """One line per import that no allowed declared group provides."""
    problems = []
    groups = declared()
    for part, modules in imports_by_part().items():
        extras = ALLOWED_EXTRAS[part]
        allowed = all_declared() if extras is None else groups["runtime"].union(*(groups[e] for e in extras))
        for module, files in sorted(modules.items()):
            dists = distributions_of(module)
            if not dists:
                problems.append(f"{part}: {module} (imported by {sorted(files)[0]}) comes from no installed package")
            elif not dists & allowed:
                where = [g for g, names in groups.items() if dists & names]
                problems.append(f"{part}: {module} (imported by {sorted(files)[0]}) comes from {sorted(dists)}, "
                                f"declared in {where or 'no group'}; allowed: runtime"
                                + (f" and {sorted(extras)}" if extras else " and every extra"))
    return problems


def unused_declarations() -> list[str]:
    """One line per declared package that nothing imports or loads by name."""
    imported: dict[str, set[str]] = {}
    for part, modules in imports_by_part().items():
        for module in modules:
            for dist in distributions_of(module):
                imported.setdefault(dist, set()).add(part)
    problems = []
    for group, names in declared().items():
        for name in sorted(names):
            parts = imported.get(name, set())
            if group == "runtime" and "src" in parts or group != "runtime" and parts:
                continue
            if name in USED_BY_NAME:
                file, marker = USED_BY_NAME[name]
                if marker in (ROOT / file).read_text(encoding="utf-8"):
                    continue
                problems.append(f"{group}: {name} is listed as used by name in {file} ({marker!r}), which it is not")
                continue
            problems.append(f"{group}: {name} is declared but "
                            + ("src/survey never imports it" if group == "runtime" else "nothing imports it"))
    return problems


def lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonical(name)] = version
    return pins


def closure(names: set[str]) -> set[str]:
    """The declared packages and everything they need, from the installed packages' metadata."""
    seen: set[tuple[str, frozenset[str]]] = set()
    stack = [(name, frozenset()) for name in names]
    found = set()
    while stack:
        name, extras = stack.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        found.add(name)
        for text in metadata.distribution(name).requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in (extras or {""})):
                stack.append((canonical(requirement.name), frozenset(requirement.extras)))
    return found


def test_every_import_is_declared():
    assert undeclared_imports() == []


def test_every_declared_package_is_used():
    assert unused_declarations() == []


def test_the_lock_pins_every_declared_package_and_nothing_else():
    pins = lock()
    assert sorted(all_declared() - set(pins)) == [], "declared but not pinned"
    needed = closure(all_declared())
    assert sorted(set(pins) - needed) == [], "pinned but needed by no declared package"
    assert sorted(needed - set(pins)) == [], "needed by a declared package but not pinned"


def test_the_installed_versions_are_the_locked_ones():
    pins = lock()
    wrong = {name: (pins[name], metadata.version(name)) for name in pins if metadata.version(name) != pins[name]}
    assert wrong == {}


def test_environment_yml_lists_the_declared_packages_at_the_locked_versions():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {canonical(name): version for name, version in (entry.split("==") for entry in pip)}
    assert sorted(listed) == sorted(all_declared())
    pins = lock()
    assert {n: v for n, v in listed.items() if pins.get(n) != v} == {}


def test_the_makefile_installs_the_lock_and_the_package_with_its_dependencies():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-r requirements/lock.txt" in makefile
    install = next(line for line in makefile.splitlines() if "-e ." in line or "-e '." in line)
    assert "--no-deps" not in install and "-c requirements/lock.txt" in install
    assert "'.[$(EXTRAS)]'" in install
    extras = re.search(r"^EXTRAS\s*:?=\s*(\S+)", makefile, re.MULTILINE).group(1).split(",")
    assert sorted(extras) == sorted(g for g in declared() if g != "runtime")
