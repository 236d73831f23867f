"""Versions, ranges and requirements: the subset of PEP 440 and PEP 508 anemo's releases use.

Standard library only (``tools/release.py`` runs before anything is installed), so it judges
final versions ``X.Y.Z`` against ranges such as ``>=0.1,<0.2``, and refuses what it cannot judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- Versions and ranges --

FINAL_VERSION = re.compile(r"\d+(?:\.\d+)*")
CLAUSE = re.compile(r"(~=|===|==|!=|<=|>=|<|>)\s*(\S+)")


def is_final(version: str) -> bool:
    """Whether ``version`` is a plain final release ``X.Y.Z`` (no .dev, a, b, rc, post or local)."""
    return FINAL_VERSION.fullmatch(version) is not None


def release_tuple(version: str) -> tuple[int, ...]:
    """``(0, 1, 2)`` for ``"0.1.2"``; ValueError for anything but a final version."""
    if not is_final(version):
        raise ValueError(f"{version!r} is not a final version")
    return tuple(int(part) for part in version.split("."))


def _padded(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)), b + (0,) * (width - len(b))


def satisfies(version: str, specifier: str) -> bool:
    """Whether the final ``version`` is inside ``specifier`` (``">=0.1,<0.2"``; empty: anything).

    Raises ``ValueError`` for a clause this subset cannot judge, such as a pre-release bound.
    """
    current = release_tuple(version)
    for clause in (part.strip() for part in specifier.split(",")):
        if not clause:
            continue
        match = CLAUSE.fullmatch(clause)
        if match is None:
            raise ValueError(f"cannot read the version clause {clause!r}")
        operator, target = match.groups()
        if operator == "===":
            ok = version == target
        elif target.endswith(".*") and operator in ("==", "!="):
            prefix = release_tuple(target[:-2])
            ok = (current + (0,) * len(prefix))[: len(prefix)] == prefix
            ok = ok if operator == "==" else not ok
        else:
            if not is_final(target):
                raise ValueError(f"{clause!r}: anemo ranges name final versions only")
            have, bound = _padded(current, release_tuple(target))
            if operator == "~=":
                prefix = release_tuple(target)[:-1]
                if not prefix:
                    raise ValueError(f"{clause!r}: ~= needs at least two version parts")
                ok = have >= bound and current[: len(prefix)] == prefix
            else:
                ok = {
                    "==": have == bound,
                    "!=": have != bound,
                    "<=": have <= bound,
                    ">=": have >= bound,
                    "<": have < bound,
                    ">": have > bound,
                }[operator]
        if not ok:
            return False
    return True


# -- Requirements --

REQUIREMENT = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*"
    r"(?:\[(?P<extras>[^\]]*)\])?\s*(?P<rest>[^;]*?)\s*(?:;\s*(?P<marker>.*))?"
)


def normalize(name: str) -> str:
    """The PEP 503 normalized form of a project name: ``Anemo_Hashring`` -> ``anemo-hashring``."""
    return re.sub(r"[-_.]+", "-", name).lower()


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
        """Read ``name[extras] specifier ; marker`` (or ``name @ url``)."""
        match = REQUIREMENT.fullmatch(text)
        if match is None:
            raise ValueError(f"cannot read the requirement {text!r}")
        rest = match["rest"].strip()
        url = rest[1:].strip() if rest.startswith("@") else ""
        specifier = "" if url else rest.removeprefix("(").removesuffix(")").replace(" ", "")
        extras = frozenset(e.strip() for e in (match["extras"] or "").split(",") if e.strip())
        return cls(normalize(match["name"]), extras, specifier, url, (match["marker"] or "").strip())

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"
