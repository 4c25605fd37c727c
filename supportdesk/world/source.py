"""A YAML document as a tree that remembers where every value was written.

PyYAML's ``compose`` keeps the line of each node; we turn that into ``Node`` objects carrying
their value, their line and their key path (``plans.webplug-priority.targets[1].within``), so
every complaint about a world file can point at the exact line a person has to fix.
"""

import json
from dataclasses import dataclass
from typing import Any

import yaml
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a source file, where it is and what is wrong."""

    line: int
    path: str
    message: str

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SourceError(Exception):
    """A file that cannot be used, with every problem found in it (nothing was written)."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [problem.format(self.source) for problem in self.problems]


@dataclass
class Node:
    """A value from the file: a dict of Nodes, a list of Nodes, or a plain scalar."""

    value: Any
    line: int
    path: str
    key_line: int
    raw: str | None = None  # a scalar's text as written: "+351..." stays a string, NO stays NO

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not (self.is_mapping or self.is_sequence)


def show(value: Any) -> str:
    """A value as the person wrote it, quoted: ``"4 horas"``, ``12``, ``null``."""
    if isinstance(value, Node):
        value = value.value
    if isinstance(value, dict | list):
        return _("a mapping") if isinstance(value, dict) else _("a list")
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return json.dumps(str(value), ensure_ascii=False)


def child_path(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def parse(text: str) -> tuple[Node, list[Problem]]:
    """The document's tree, and the problems (syntax, duplicate keys) found building it."""
    problems: list[Problem] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(line, "", _("not valid YAML: %(reason)s") % {"reason": reason}))
        return Node({}, 1, "", 1), problems
    if root is None:
        return Node({}, 1, "", 1), problems
    constructor = yaml.SafeLoader("")
    return _convert(root, "", root.start_mark.line + 1, constructor, problems), problems


def _convert(
    node: yaml.Node, path: str, key_line: int, constructor: yaml.SafeLoader, problems: list
) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        value: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key_line_no = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(key_line_no, path, _("keys must be plain words")))
                continue
            key = str(key_node.value)
            if key == "<<":
                problems.append(Problem(key_line_no, path, _("merge keys (<<) are not supported")))
                continue
            if key in value:
                problems.append(
                    Problem(
                        key_line_no,
                        child_path(path, key),
                        _("duplicate key (first written on line %(line)s)")
                        % {"line": value[key].key_line},
                    )
                )
                continue
            value[key] = _convert(
                value_node, child_path(path, key), key_line_no, constructor, problems
            )
        return Node(value, line, path, key_line)
    if isinstance(node, yaml.SequenceNode):
        items = [
            _convert(item, f"{path}[{i}]", item.start_mark.line + 1, constructor, problems)
            for i, item in enumerate(node.value)
        ]
        return Node(items, line, path, key_line)
    try:
        scalar = constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError):  # e.g. 2026-02-30: the checker says what is wrong
        scalar = node.value
    return Node(scalar, line, path, key_line, raw=str(node.value))
