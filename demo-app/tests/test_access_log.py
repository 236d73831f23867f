"""The access log: errors and slow requests always, every request only with --access-log."""

from __future__ import annotations

import logging
import time

import pytest

from anemo_demo import accesslog
from anemo_demo.config import parse_config


def access_lines(caplog: pytest.LogCaptureFixture, expected: int = 0) -> list[tuple[int, str]]:
    """The access log's lines, once there are ``expected`` of them (the app logs after it answers)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "tornado.access"]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.01)


def test_only_errors_and_slow_requests_by_default(make_live, new_client, caplog, monkeypatch) -> None:
    """A served page costs no log line; a 404 and a slow request each get one, as Tornado words it."""
    live = make_live()
    client = new_client(live)
    caplog.set_level(logging.DEBUG, logger="tornado.access")
    assert client.get("/").status == 200
    assert client.get("/bare").status == 200
    assert access_lines(caplog) == []
    assert client.get("/no/such/page").status == 404
    monkeypatch.setattr(accesslog, "SLOW_REQUEST", 0.0)
    assert client.get("/bare").status == 200
    (not_found, not_found_line), (slow, slow_line) = access_lines(caplog, 2)
    assert not_found == logging.WARNING
    assert not_found_line.startswith("404 GET /no/such/page (127.0.0.1) ")
    assert slow == logging.WARNING
    assert slow_line.startswith("200 GET /bare (127.0.0.1) ")


def test_every_request_with_the_option(make_live, new_client, caplog) -> None:
    client = new_client(make_live(access_log=True))
    caplog.set_level(logging.DEBUG, logger="tornado.access")
    client.get("/bare")
    client.get("/visits?format=json")
    levels_and_lines = access_lines(caplog, 2)
    assert [level for level, _line in levels_and_lines] == [logging.INFO, logging.INFO]
    assert levels_and_lines[1][1].startswith("200 GET /visits?format=json (127.0.0.1) ")


def test_the_option_from_the_command_line_or_the_environment() -> None:
    assert parse_config([], {}).access_log is False
    assert parse_config(["--access-log"], {}).access_log is True
    assert parse_config([], {"ANEMO_DEMO_ACCESS_LOG": "1"}).access_log is True
    assert parse_config([], {"ANEMO_DEMO_ACCESS_LOG": "off"}).access_log is False
