"""Reading study.yaml so that it cannot say two things: a key given twice is an error.

PyYAML's ``safe_load`` keeps the last of two equal keys without a word, so a second
``design:`` block silently replaces the first. :class:`UniqueKeyLoader` is a SafeLoader that
refuses that, naming the key, both line numbers and the file.

Example
-------
>>> load_yaml_text("a: 1\\nb: 2\\na: 3\\n", where="study.yaml")
Traceback (most recent call last):
...
survey.errors.ConfigError: study.yaml (line 3): key 'a' given twice (first on line 1); keep one
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from survey.errors import ConfigError
from survey.schema import FastSafeLoader


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping that names the same key twice (raised while the document is read)."""




class UniqueKeyLoader(FastSafeLoader):
    """A safe loader whose mappings refuse a key that is already present."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # keys merged in with << may be overridden on purpose
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # SafeLoader reports an unhashable key itself
                if key in seen:
                    raise DuplicateKeyError(
                        f"key {key!r} given twice (first on line {seen[key].start_mark.line + 1})", None,
                        f"found {key!r} again", key_node.start_mark)
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, UniqueKeyLoader.construct_mapping)


def load_yaml_text(text: str, *, where: str | Path) -> Any:
    """Parse YAML text; duplicated keys and syntax errors are one-line ConfigErrors with the line number."""
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1
        raise ConfigError(f"{where} (line {line}): {exc.context}; keep one") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f" (line {mark.line + 1})" if mark else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise ConfigError(f"{where}{place}: not valid YAML: {problem}") from None


def load_yaml_file(path: Path) -> Any:
    """Read a YAML file as UTF-8 with :func:`load_yaml_text`; unreadable text is a ConfigError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: expected UTF-8 text, found byte {exc.object[exc.start:exc.start + 1]!r} "
                          f"at byte {exc.start}; save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc.strerror}") from None
    return load_yaml_text(text, where=path)
