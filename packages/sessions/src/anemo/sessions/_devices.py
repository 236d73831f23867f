"""What a user's session list says of each device: where from (an IP address or its prefix), and what.

The address is kept as the privacy option says: whole, as a prefix (IPv4 /24, IPv6 /48: the
network, not the machine), or not at all. The device is a readable summary of the user agent,
"Firefox on Linux", made by ``ua-parser`` (extra ``devices``) when it is installed.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Literal

from .errors import InvalidOption

__all__ = ["IPDetail", "IP_DETAILS", "check_ip_detail", "shown_ip", "describe_agent"]

#: How much of a client's IP address a user index keeps.
IPDetail = Literal["address", "prefix", "none"]
IP_DETAILS: tuple[IPDetail, ...] = ("address", "prefix", "none")
_PREFIX = {4: 24, 6: 48}
#: What ua-parser calls a device, browser or system it does not know.
_UNKNOWN = frozenset({"Other", "Generic Smartphone", "Generic Feature Phone", "Generic Tablet"})


def check_ip_detail(detail: str) -> IPDetail:
    for known in IP_DETAILS:
        if detail == known:
            return known
    raise InvalidOption(f"ip_detail must be one of {', '.join(IP_DETAILS)}, not {detail!r}")


def shown_ip(address: str | None, detail: IPDetail) -> str | None:
    """``address`` as ``detail`` keeps it (``"203.0.113.0/24"`` for a prefix), or ``None``."""
    if address is None or detail == "none":
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if detail == "address":
        return str(ip)
    return str(ipaddress.ip_network(f"{ip}/{_PREFIX[ip.version]}", strict=False))


@functools.lru_cache(maxsize=512)
def describe_agent(user_agent: str) -> str | None:
    """ "Mobile Safari on iOS (iPhone)" for a user agent, or ``None`` when nothing in it is known
    (or ``ua-parser`` is not installed)."""
    try:
        from ua_parser import parse  # noqa: PLC0415 (an optional extra)
    except ModuleNotFoundError as exc:
        if exc.name != "ua_parser":
            raise
        return None
    result = parse(user_agent[:1000])
    browser = _known(result.user_agent.family if result.user_agent else None)
    system = _known(result.os.family if result.os else None)
    device = _known(result.device.family if result.device else None)
    if browser is None and system is None:
        return None
    text = " on ".join(part for part in (browser, system) if part)
    return f"{text} ({device})" if device is not None and device not in text else text


def _known(family: str | None) -> str | None:
    return None if family is None or family in _UNKNOWN else family
