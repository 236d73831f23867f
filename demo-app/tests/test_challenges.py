"""The SQLite captcha store that demo processes share: one-time, expiring, and bounded."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from anemo_demo.challenges import SQLiteChallengeStore
from anemo_testing import Clock


def test_a_challenge_is_taken_once_even_by_two_stores_at_once(tmp_path: Path) -> None:
    path = tmp_path / "challenges.sqlite3"

    async def main() -> None:
        first, second = SQLiteChallengeStore(path), SQLiteChallengeStore(path)
        try:
            for n in range(20):
                await first.put(f"c{n}", b"answer", 60)
                taken = await asyncio.gather(first.take(f"c{n}"), second.take(f"c{n}"))
                assert sorted(taken, key=bool) == [None, b"answer"]
        finally:
            first.close()
            second.close()

    asyncio.run(main())


def test_expired_challenges_are_gone_and_swept(tmp_path: Path) -> None:
    path = tmp_path / "challenges.sqlite3"
    clock = Clock()

    async def main() -> None:
        store = SQLiteChallengeStore(path, clock=clock)
        try:
            for n in range(10):
                await store.put(f"old{n}", b"x", 10)
            assert await store.add("old0", b"y", 60) is False  # still live
            clock.advance(10)
            assert await store.get("old1") is None
            assert await store.take("old2") is None
            assert await store.add("old0", b"y", 60) is True  # expired: a new one may take its key
            assert await store.get("old0") == b"y"
            for n in range(3):
                await store.put(f"new{n}", b"z", 60)
        finally:
            store.close()
        with sqlite3.connect(path) as db:
            (rows,) = db.execute("SELECT count(*) FROM challenges").fetchone()
        assert rows == 4  # old0 again and three new ones: each put swept expired rows

    asyncio.run(main())
