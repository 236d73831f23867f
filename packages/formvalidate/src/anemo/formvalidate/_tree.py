"""Turn flat submitted names (``hosts[1].port``) or a decoded JSON object into one tree.

A *node* is a dict whose keys are field names (str) or list indexes (int); a *leaf* is the
list of raw values submitted for one name. Both form posts and JSON objects become the same
shape, so a form validates either with the same paths. Sparse indexes stay dict keys: an
``items[999999]`` costs one entry, not a million.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from ._limits import Limits

__all__ = ["Node", "Issue", "JSONArray", "join_path", "parse_name", "tree_from_arguments", "tree_from_json"]

Node: TypeAlias = dict[Any, Any]
"""Keys are ``str | int``; values are nodes or leaves (``list`` of raw values)."""

Issue: TypeAlias = tuple[str, str, dict[str, object]]
"""A structural problem: (path, message code, message params)."""


class JSONArray(list[Any]):
    """A JSON array of scalars: the values of a multi-valued field or of a list, never one value.

    A post repeats a name to send several values, and a single-valued field takes the last;
    a JSON array where one value belongs is a shape error instead, as a JSON client expects.
    """

    __slots__ = ()


_HEAD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*|\[(0|[1-9][0-9]{0,8})\]", re.ASCII)
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*", re.ASCII)
_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(0|[1-9][0-9]{0,8})\]", re.ASCII)


def join_path(prefix: str, key: str | int) -> str:
    """The submitted name of ``key`` under ``prefix``: ``a.b``, ``a[0]`` or ``[0]``."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


def parse_name(name: str) -> list[str | int] | None:
    """Split ``hosts[1].port`` into ``["hosts", 1, "port"]``; ``None`` if not of that grammar.

    Indexes are ASCII decimal without leading zeros and at most nine digits.
    """
    match = _HEAD.match(name)
    if match is None:
        return None
    index = match.group(1)
    path: list[str | int] = [int(index) if index is not None else match.group()]
    position = match.end()
    while position < len(name):
        match = _SEGMENT.match(name, position)
        if match is None:
            return None
        field, index = match.groups()
        path.append(field if field is not None else int(index))
        position = match.end()
    return path


def tree_from_arguments(
    arguments: Mapping[str, Sequence[Any]], limits: Limits, *, flat: bool = False
) -> tuple[Node, list[Issue]]:
    """Build the tree of a form post (Tornado's ``request.arguments`` or ``request.files`` shape).

    ``flat`` forms (no nested fields) read names as they are: the mapping itself is the tree.
    """
    if len(arguments) > limits.max_fields:
        return {}, [("", "too_many_fields", {"max": limits.max_fields})]
    if flat:
        return (arguments if type(arguments) is dict else dict(arguments)), []
    root: Node = {}
    issues: list[Issue] = []
    for name, submitted in arguments.items():
        if not isinstance(name, str) or len(name) > limits.max_name_length:
            continue
        values = _as_list(submitted)
        if "." not in name and "[" not in name:
            root[name] = values
            continue
        path = parse_name(name)
        if path is None:
            continue
        if len(path) > limits.max_depth:
            issues.append((name, "too_deep", {"max": limits.max_depth}))
            continue
        _insert(root, path, values, limits, issues)
    return root, issues


def _as_list(values: object) -> list[Any]:
    """The values of one name as a list; a bare value (a common slip) counts as one value."""
    if isinstance(values, list | tuple):
        return list(values)
    return [values]


def _insert(
    root: Node, path: list[str | int], values: list[Any], limits: Limits, issues: list[Issue]
) -> None:
    """Place ``values`` at ``path``, refusing a leaf where a node is (or the reverse)."""
    node = root
    prefix = ""
    for key in path[:-1]:
        child = node.get(key)
        if child is None:
            if node is not root and len(node) >= limits.max_entries:
                issues.append((prefix, "too_many_entries", {"max": limits.max_entries}))
                return
            child = node[key] = {}
        elif not isinstance(child, dict):
            issues.append((join_path(prefix, key), "structure", {}))
            return
        prefix = join_path(prefix, key)
        node = child
    last = path[-1]
    if last in node:
        issues.append((join_path(prefix, last), "structure", {}))
    elif node is not root and len(node) >= limits.max_entries:
        issues.append((prefix, "too_many_entries", {"max": limits.max_entries}))
    else:
        node[last] = values


def tree_from_json(document: object, limits: Limits, *, array: bool = False) -> tuple[Node, list[Issue]]:
    """Build the tree of a decoded JSON object: objects are nodes, arrays of objects lists.

    With ``array`` the document must be an array instead: its items are the entries ``[0]``,
    ``[1]``... A ``null`` member counts as not submitted, like a name absent from a post.
    """
    issues: list[Issue] = []
    if array:
        if not isinstance(document, list):
            return {}, [("", "json_array", {})]
        if len(document) > limits.max_entries:
            return {}, [("", "too_many_entries", {"max": limits.max_entries})]
        return {
            index: _json_value(item, join_path("", index), 1, limits, issues)
            for index, item in enumerate(document)
        }, issues
    if not isinstance(document, dict):
        return {}, [("", "json", {})]
    if len(document) > limits.max_fields:
        return {}, [("", "too_many_fields", {"max": limits.max_fields})]
    return _json_node(document, "", 1, limits, issues), issues


def _json_node(obj: dict[Any, Any], prefix: str, depth: int, limits: Limits, issues: list[Issue]) -> Node:
    node: Node = {}
    for key, value in obj.items():
        # A key no field can have is ignored (as unparsable names of a post are), so it never
        # reaches an error path: a lone surrogate there would break the JSON error response.
        if not isinstance(key, str) or len(key) > limits.max_name_length or not _KEY.fullmatch(key):
            continue
        if value is None:
            continue
        node[key] = _json_value(value, join_path(prefix, key), depth, limits, issues)
    return node


def _json_value(value: object, path: str, depth: int, limits: Limits, issues: list[Issue]) -> Any:
    """A node for an object or an array holding containers; a leaf for scalars and their arrays."""
    if not isinstance(value, dict | list):
        return [value]
    if depth >= limits.max_depth:
        issues.append((path, "too_deep", {"max": limits.max_depth}))
        return {}
    if len(value) > limits.max_entries:
        issues.append((path, "too_many_entries", {"max": limits.max_entries}))
        return {}
    if isinstance(value, dict):
        return _json_node(value, path, depth + 1, limits, issues)
    if not any(isinstance(item, dict | list) for item in value):
        return JSONArray(value)
    return {
        index: _json_value(item, join_path(path, index), depth + 1, limits, issues)
        for index, item in enumerate(value)
    }
