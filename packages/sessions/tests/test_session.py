"""Session: the mapping, change tracking, and what it refuses."""

from __future__ import annotations

import pathlib
import re

import pytest

from anemo.sessions import Flash, InvalidSessionValue, Session, SessionNotLoaded, SessionTooLarge, StoreError
from anemo.sessions._json import encode_value
from anemo.sessions._session import Loaded


def loaded(max_size: int = 10_000, **data: object) -> Session:
    session = Session()
    texts = {key: encode_value(value) for key, value in data.items()}
    session.attach(Loaded("x" * 43, "k" * 64, 0.0), texts, max_size, "test")
    return session


def test_unloaded_session_refuses_use() -> None:
    """Reading before load is a clear error naming the call that loads it."""
    session = Session()
    with pytest.raises(SessionNotLoaded, match=r"await self\.load_session\(\)"):
        session["a"]
    with pytest.raises(SessionNotLoaded):
        len(session)


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", object(), float("nan"), {"k": float("inf")}])
def test_non_json_values_fail_at_assignment(value: object) -> None:
    """A value JSON cannot hold is a TypeError when set, not a crash at save."""
    session = loaded()
    with pytest.raises(InvalidSessionValue) as caught:
        session["bad"] = value
    assert isinstance(caught.value, TypeError)
    assert "bad" not in session


@pytest.mark.parametrize("key", [1, None, "", "k" * 201])
def test_bad_keys_are_refused(key: object) -> None:
    with pytest.raises(InvalidSessionValue):
        loaded()[key] = 1  # type: ignore[index]


def test_changes_track_sets_deletes_and_in_place_edits() -> None:
    """Only what changed is written: sets, deletes, and lists or dicts edited in place."""
    session = loaded(cart=[1], name="a", prefs={"x": 1}, untouched=[5])
    session["name"] = "b"
    session["cart"].append(2)
    del session["prefs"]
    assert session["untouched"] == [5]
    changes = session.pending()
    assert changes.written == {"name": '"b"', "cart": "[1,2]"}
    assert changes.removed == {"prefs"}


def test_assignment_stores_a_json_copy() -> None:
    """What is set reads back as the next request will load it; later edits of the original do not leak."""
    session = loaded()
    original = [1, (2, 3)]
    session["v"] = original
    original.append(4)
    assert session["v"] == [1, [2, 3]]


def test_mapping_methods() -> None:
    session = loaded(a=1)
    assert session.setdefault("b", 2) == 2
    assert session.pop("a") == 1
    assert session.pop("a", None) is None
    session.update(c=3)
    assert dict(session) == {"b": 2, "c": 3}
    session.clear()
    changes = session.pending()
    assert (changes.written, changes.removed) == ({}, {"a", "b", "c"})


def test_size_cap_refuses_at_assignment_and_counts_in_place_edits() -> None:
    """Data past max_size is refused when set (nothing changes) and seen at save when edited in place."""
    session = loaded(max_size=100, small="x")
    with pytest.raises(SessionTooLarge) as caught:
        session["big"] = "y" * 100
    assert isinstance(caught.value, ValueError)
    assert caught.value.limit == 100
    assert "big" not in session
    session["more"] = "y"
    assert session.pending().size == len("small") + len('"x"') + len("more") + len('"y"')
    session["list"] = []
    session["list"].extend(["z"] * 40)
    assert session.pending().size > 100  # the planner refuses it; see test_plan.py


def test_set_user_keeps_only_the_keys_it_names() -> None:
    """Login drops what was written before it (a planted draft), except the keys the app names."""
    session = loaded(cart=[1], draft="planted by someone else")
    session.set_user("alice", keep=["cart"])
    session["greeting"] = "hi"
    assert dict(session) == {"cart": [1], "greeting": "hi"}


def test_no_pickle_anywhere_in_the_package() -> None:
    """Session data is JSON only: the package never imports pickle or marshal."""
    import anemo.sessions

    source = pathlib.Path(anemo.sessions.__file__).parent
    for path in source.glob("*.py"):
        assert not re.search(r"\b(pickle|marshal|shelve)\b", path.read_text()), path.name


def test_values_are_decoded_when_first_read_and_a_bad_one_fails_alone() -> None:
    """A request pays only for the keys it reads; a field that is not JSON fails the read of that key."""
    session = Session()
    session.attach(Loaded("x" * 43, "k" * 64, 0.0), {"a": "[1,2]", "b": "{not json"}, 10_000, "test-store")
    assert session["a"] == [1, 2]
    assert session["a"] is session["a"]  # decoded once, then kept
    with pytest.raises(StoreError, match=r"test-store.*not JSON"):
        session["b"]
    assert sorted(session) == ["a", "b"]
    assert "b" in session
    del session["b"]  # a bad value can still be replaced or removed
    assert session.pending().removed == {"b"}


def test_flashes_are_ordered_filtered_and_checked() -> None:
    session = Session()
    session.attach(Loaded(None, None, 0.0), {}, 10_000, "test")
    session.flash("first")
    session.flash("second", "warning")
    session.flash("third")
    session["_flash.0.bad"] = "not a [category, message] pair"
    with pytest.raises(InvalidSessionValue, match="category"):
        session.flash("x", 3)  # type: ignore[arg-type]
    with pytest.raises(InvalidSessionValue):
        session.flash(float("nan"))
    assert session.flashes("warning") == [Flash("warning", "second")]
    assert [flash.message for flash in session.flashes()] == ["first", "third"]
    assert dict(session) == {}  # read once, and the malformed one dropped with them
    assert session.flashes() == []
