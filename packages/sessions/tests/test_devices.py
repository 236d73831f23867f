"""What a session list says of a device: the IP address kept as the privacy option asks, and a name."""

from __future__ import annotations

import pytest

from anemo.sessions import InvalidOption, MemoryStore, SessionManager
from anemo.sessions._devices import describe_agent, shown_ip


@pytest.mark.parametrize(
    ("address", "detail", "shown"),
    [
        ("203.0.113.77", "address", "203.0.113.77"),
        ("203.0.113.77", "prefix", "203.0.113.0/24"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "prefix", "2001:db8:85a3::/48"),
        ("2001:db8::1", "address", "2001:db8::1"),
        ("::ffff:198.51.100.9", "prefix", "198.51.100.0/24"),  # IPv4 behind a dual-stack socket
        ("203.0.113.77", "none", None),
        ("not an address", "address", None),
        (None, "prefix", None),
    ],
)
def test_an_ip_is_kept_as_the_option_says(address: str | None, detail: str, shown: str | None) -> None:
    assert shown_ip(address, detail) == shown  # type: ignore[arg-type]


def test_ip_detail_is_checked() -> None:
    with pytest.raises(InvalidOption, match="ip_detail"):
        SessionManager(MemoryStore(), "secret", ip_detail="full")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome Mobile on Android (Samsung SM-S918B)",
        ),
        ("", None),
        ("\x00" * 5000, None),
    ],
)
def test_a_user_agent_reads_as_a_device(agent: str, device: str | None) -> None:
    assert describe_agent(agent) == device
