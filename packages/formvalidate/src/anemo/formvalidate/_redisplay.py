"""The text a form was submitted with, by field path, to fill the form in again after an error.

A template that re-reads raw request arguments has to know every name, nesting and encoding
rule; ``form.submitted`` knows them already. Passwords and uploads are never included, nor a value
that is not UTF-8 or longer than ``Limits.max_value_length`` (it was refused anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from ._fields import Field, MultipleChoiceField
from ._limits import Limits
from ._nesting import FormField, ListField
from ._tree import Node, join_path

__all__ = ["Submitted", "submitted_values", "submitted_entries"]

Submitted: TypeAlias = dict[str, "str | list[str]"]
"""Path -> the last text submitted there, or every one for a multiple-valued field."""


def submitted_values(fields: Mapping[str, Field[Any]], node: Node, prefix: str, limits: Limits) -> Submitted:
    """The submitted text of ``fields`` found in ``node``, a form's group of names at ``prefix``."""
    collector = _Collector(limits)
    collector.form(fields, node, prefix)
    return collector.found


def submitted_entries(entry: Field[Any], container: object, prefix: str, limits: Limits) -> Submitted:
    """The submitted text of the entries ``prefix[N]`` of a list whose entries are ``entry``."""
    collector = _Collector(limits)
    collector.entries(entry, container, prefix)
    return collector.found


class _Collector:
    """Walks fields over a submission's tree, keeping the text that may be shown back."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.found: Submitted = {}

    def form(self, fields: Mapping[str, Field[Any]], node: Node, prefix: str) -> None:
        for name, field in fields.items():
            self.field(field, node, name, join_path(prefix, name))

    def field(self, field: Field[Any], node: Node, key: str | int, path: str) -> None:
        if not field.redisplay:
            return
        submitted = node.get(key)
        if isinstance(field, FormField):
            if submitted.__class__ is dict:
                self.form(field.form_class.fields, submitted, path)
        elif isinstance(field, ListField):
            self.entries(field.entry, submitted, path)
        elif isinstance(submitted, list):  # not absent, and not a group where values belong
            texts = [text for text in (_text(raw, self.limits) for raw in submitted) if text is not None]
            if isinstance(field, MultipleChoiceField):
                self.found[path] = texts
            elif texts:
                self.found[path] = texts[-1]

    def entries(self, entry: Field[Any], container: object, path: str) -> None:
        if isinstance(container, list):  # several values under one name, or a JSON array
            container = {index: [value] for index, value in enumerate(container[: self.limits.max_entries])}
        if isinstance(container, dict) and container.__class__ is dict:
            for index in sorted(key for key in container if type(key) is int):
                self.field(entry, container, index, join_path(path, index))


def _text(raw: object, limits: Limits) -> str | None:
    """One raw value as the text typed, or None where it cannot or should not be shown."""
    if isinstance(raw, bytes):
        if len(raw) > limits.max_value_length:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(raw, bool):  # JSON true and false, before int
        return "true" if raw else "false"
    if isinstance(raw, int | float):  # a JSON number; a huge int is refused before writing it out
        if isinstance(raw, int) and raw.bit_length() > 4 * limits.max_value_length:
            return None
        try:
            raw = repr(raw)
        except ValueError:  # more digits than sys.get_int_max_str_digits()
            return None
    if not isinstance(raw, str) or len(raw) > limits.max_value_length:
        return None
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON
        return None
    return raw
