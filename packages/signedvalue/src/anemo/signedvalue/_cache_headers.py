"""Vary and Cache-Control values that keep a cookie-dependent response out of shared caches.

Pure functions over header values (several header lines joined with ``", "``, ``""`` when absent),
so any framework can use them; :mod:`anemo.signedvalue.tornado` applies them to a response.
"""

from __future__ import annotations

__all__ = ["cache_control_private", "vary_with_cookie"]

#: Dropped: ``public`` and ``s-maxage`` let a shared cache store the response; ``private`` (bare, or
#: ``private="field"``, which still lets it store the rest) comes back bare, once, in front.
_SHARED = frozenset({"public", "s-maxage", "private"})


def _directives(value: str) -> list[str]:
    """The non-empty directives of a Cache-Control value; commas inside quoted strings do not split."""
    members: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            members.append("".join(current))
            current = []
            continue
        current.append(char)
    members.append("".join(current))
    return [stripped for member in members if (stripped := member.strip(" \t"))]


def vary_with_cookie(vary: str) -> str:
    """``vary`` with ``Cookie`` added once (names compare case-insensitively); ``*`` already covers it."""
    names: dict[str, str] = {}
    for member in vary.split(","):  # field names only: no quoted strings in Vary
        if name := member.strip(" \t"):
            names.setdefault(name.lower(), name)
    if "*" in names:
        return vary
    names.setdefault("cookie", "Cookie")
    return ", ".join(names.values())


def cache_control_private(cache_control: str, *, no_store: bool = False) -> str:
    """``cache_control`` without ``public`` or ``s-maxage``, with ``private`` (and ``no-store``) first.

    Other directives keep their spelling and order; applying it to its own result changes nothing.
    """
    kept = [directive for directive in _directives(cache_control) if _name(directive) not in _SHARED]
    added = ["private"]
    if no_store and not any(_name(directive) == "no-store" for directive in kept):
        added.append("no-store")
    return ", ".join([*added, *kept])


def _name(directive: str) -> str:
    """A Cache-Control directive's name, lower case: ``S-MaxAge=60`` -> ``s-maxage``."""
    return directive.partition("=")[0].strip(" \t").lower()
