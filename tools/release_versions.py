"""Versions, ranges and requirements as the release checks need them, read by ``packaging``.

``packaging`` (PyPA's implementation of PEP 440 and PEP 508, the one pip vendors) parses; this
module only adds what anemo's checks ask of it: final versions, canonical names, hashable extras.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import Requirement as ParsedRequirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def is_final(version: str) -> bool:
    """Whether ``version`` is a plain final release (no .dev, a, b, rc, post or local part)."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return False
    return str(parsed) == parsed.base_version


def version_key(version: str) -> Version:
    """A sort key: the newest of several versions is the ``max``."""
    return Version(version)


def satisfies(version: str, specifier: str) -> bool:
    """Whether ``version`` is inside ``specifier`` (``">=0.1,<0.2"``; empty: anything).

    Raises ``ValueError`` (packaging's ``InvalidSpecifier``) for a specifier it cannot read.
    """
    return SpecifierSet(specifier).contains(version, prereleases=True)


# -- Requirements --


def normalize(name: str) -> str:
    """The PEP 503 normalized form of a project name: ``Anemo_Hashring`` -> ``anemo-hashring``."""
    return str(canonicalize_name(name))


def is_ours(name: str) -> bool:
    """Whether a project name belongs to anemo: only ``dist/`` may ever answer for it."""
    normalized = normalize(name)
    return normalized == "anemo" or normalized.startswith("anemo-")


@dataclass(frozen=True)
class Requirement:
    """One requirement string, split into the parts the checks need."""

    name: str
    extras: frozenset[str] = frozenset()
    specifier: str = ""
    url: str = ""
    marker: str = ""

    @classmethod
    def parse(cls, text: str) -> Requirement:
        """Read ``name[extras] specifier ; marker`` (or ``name @ url``); ValueError if malformed."""
        parsed = ParsedRequirement(text)
        marker = str(parsed.marker) if parsed.marker else ""
        specifier = str(parsed.specifier)
        return cls(normalize(parsed.name), frozenset(parsed.extras), specifier, parsed.url or "", marker)

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"
