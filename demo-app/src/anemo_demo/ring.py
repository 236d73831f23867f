"""An SVG picture of a consistent-hash ring: each node's arcs, and where one session sits."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from anemo.hashring import HashRing, md5_64

__all__ = ["RingPicture", "ring_svg"]

PALETTE = ("#2f6fdf", "#e0812d", "#2aa876", "#c23b6b", "#7b5cd6", "#8a8f2a")
_SAMPLES = 720
_SIZE = 320


@dataclass(frozen=True)
class RingPicture:
    """What the cluster page draws: node colours, and the session's point and owner if known."""

    svg: str
    colours: dict[str, str]


def _angle(position: int) -> float:
    return position / 2**64 * 2 * math.pi - math.pi / 2


def _point(angle: float, radius: float) -> tuple[float, float]:
    centre = _SIZE / 2
    return centre + radius * math.cos(angle), centre + radius * math.sin(angle)


def ring_svg(
    nodes: Sequence[str],
    ring: HashRing | None,
    session_key: str | None,
    owner: str | None,
    labels: Mapping[str, str] | None = None,
) -> RingPicture:
    """The ring as SVG: ``_SAMPLES`` evenly hashed probe keys coloured by owner trace each node's arcs.

    ``session_key`` is what the ring placed the visitor's session by; ``owner`` the node holding it.
    With no ring (one store), the whole circle is that store's. ``labels`` renames nodes in the
    picture (and its colour keys), so it need not show a store's address.
    """
    labels = labels or {}
    colours = {labels.get(name, name): PALETTE[i % len(PALETTE)] for i, name in enumerate(nodes)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_SIZE} {_SIZE}" width="{_SIZE}" '
        f'height="{_SIZE}" role="img" aria-label="hash ring">',
        f'<circle cx="{_SIZE / 2}" cy="{_SIZE / 2}" r="120" fill="none" stroke="#ddd" stroke-width="22"/>',
    ]
    if ring is None:
        colour = PALETTE[0]
        centre = _SIZE / 2
        parts.append(
            f'<circle cx="{centre}" cy="{centre}" r="120" fill="none" stroke="{colour}" stroke-width="22"/>'
        )
    else:
        for sample in range(_SAMPLES):
            key = f"probe-{sample}"
            node = ring.get_node(key)
            node = labels.get(node, node) if node is not None else None
            angle = _angle(md5_64(key.encode()))
            x1, y1 = _point(angle, 109)
            x2, y2 = _point(angle, 131)
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{colours.get(node or "", "#999")}" stroke-width="2"/>'
            )
    if session_key is not None:
        where = escape(labels.get(owner or "", owner or "?"))
        angle = _angle(md5_64(session_key.encode())) if ring is not None else -math.pi / 2
        x, y = _point(angle, 120)
        parts.append(
            f'<circle class="session-point" cx="{x:.1f}" cy="{y:.1f}" r="9" fill="#111" stroke="#fff" '
            f'stroke-width="3"><title>your session, on {where}</title></circle>'
        )
    parts.append("</svg>")
    return RingPicture("".join(parts), colours)
