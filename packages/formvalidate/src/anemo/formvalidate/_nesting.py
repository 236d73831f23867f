"""Fields that hold other fields: a sub-form under ``prefix.name`` and lists under ``name[N]``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._context import INVALID, Context
from ._declaration import check_range
from ._fields import Field
from ._tree import Node, join_path
from .errors import FormDefinitionTypeError, ValidationError

if TYPE_CHECKING:
    from ._form import Form

__all__ = ["FormField", "ListField"]


class FormField(Field[dict[str, Any]]):
    """A nested form whose fields are submitted as ``name.field`` (or a nested JSON object).

    Its errors are reported at their full paths (``second.ip``). An optional FormField
    (``required=False``) yields ``default`` when nothing was submitted under it, or only empty
    values and no files: an HTML fieldset left untouched still posts its empty text inputs.
    (Whitespace was typed by someone, so it counts as submitted.)
    """

    nested = True

    def __init__(self, form_class: type[Form], **options: Any) -> None:
        super().__init__(**options)
        from ._form import BaseForm  # noqa: PLC0415 -- _form imports this module

        if not (isinstance(form_class, type) and issubclass(form_class, BaseForm)):
            raise FormDefinitionTypeError(f"expected a Form subclass, not {form_class!r}", owner="FormField")
        self.form_class = form_class

    def _read(self, node: Node, files: Node, key: str | int, path: str, context: Context) -> Any:
        child = node.get(key)
        child_files = files.get(key)
        if isinstance(child, list) and all(value is None for value in child):
            child = None  # a JSON null entry of a list of sub-forms
        if not self.required and child_files is None and _blank(child):
            return self.default
        if not isinstance(child, dict | None) or not isinstance(child_files, dict | None):
            raise ValidationError(code="structure")
        return self.form_class()._clean_node(child or {}, child_files or {}, path, context)


def _blank(submitted: object) -> bool:
    """Whether a submitted group is absent or holds only empty values (untouched inputs)."""
    if submitted is None:
        return True
    if not isinstance(submitted, dict):
        return False
    for child in submitted.values():
        if isinstance(child, dict):
            if not _blank(child):
                return False
        elif any(not isinstance(value, str | bytes) or value for value in child):
            return False
    return True


class ListField(Field[list[Any]]):
    """Repeated entries ``name[0]``, ``name[1]``, ... of a sub-form or of a field.

    ``entry`` is a :class:`Form` subclass (entries are ``name[N].field``) or a field instance
    (entries are ``name[N]``, or simply several values under ``name``). Indexes may be sparse:
    only submitted ones exist, in index order, and errors name the submitted index
    (``hosts[7].port``). ``max_entries`` defaults to the form's ``Limits.max_entries``.
    """

    nested = True

    def __init__(
        self,
        entry: type[Form] | Field[Any],
        *,
        min_entries: int = 0,
        max_entries: int | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("required", False)
        super().__init__(**options)
        check_range("ListField", int, ("min_entries", min_entries), ("max_entries", max_entries), minimum=0)
        self.entry: Field[Any] = entry if isinstance(entry, Field) else FormField(entry)
        self.min_entries = max(min_entries, 1 if self.required else 0)
        self.max_entries = max_entries

    def _read(self, node: Node, files: Node, key: str | int, path: str, context: Context) -> Any:
        return self._read_entries(node.get(key), files.get(key), path, context)

    def _read_entries(self, container: Any, file_container: Any, path: str, context: Context) -> Any:
        """The entries found in ``container`` (a node, a leaf of several values, or nothing)."""
        limit = min(self.max_entries or context.limits.max_entries, context.limits.max_entries)
        if isinstance(container, list):
            if len(container) > limit:
                raise ValidationError(code="too_many_entries", params={"max": limit})
            container = {index: [value] for index, value in enumerate(container)}
        if not isinstance(container, dict | None) or not isinstance(file_container, dict | None):
            raise ValidationError(code="structure")
        container = container or {}
        file_container = file_container or {}
        indexes = sorted({key for key in (*container, *file_container) if type(key) is int})
        if len(indexes) > limit:
            raise ValidationError(code="too_many_entries", params={"max": limit})
        if len(indexes) < self.min_entries:
            raise ValidationError(code="too_few_entries", params={"min": self.min_entries})
        entries: list[Any] = []
        valid = True
        for index in indexes:
            entry_path = join_path(path, index)
            try:
                value = self.entry._read(container, file_container, index, entry_path, context)
            except ValidationError as error:
                context._record(entry_path, error, self.entry.messages)
                valid = False
                continue
            if value is INVALID:
                valid = False
            else:
                entries.append(value)
        return entries if valid else INVALID
