"""A Session driven through random gets, sets, deletes, saves and reloads, against a plain dict."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from anemo.sessions import MemoryStore, Session, SessionManager, SessionStore

keys = st.sampled_from(["a", "b", "c", "ключ", "k" * 200])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def machine_for(make_store: Callable[[], SessionStore]) -> type[RuleBasedStateMachine]:
    class SessionMachine(RuleBasedStateMachine):
        """The session as loaded must always equal the model: what was saved plus pending changes."""

        def __init__(self) -> None:
            super().__init__()
            self.loop = asyncio.new_event_loop()
            self.manager = SessionManager(make_store(), "stateful secret")
            self.cookie: str | None = None
            self.saved: dict[str, object] = {}
            self.model: dict[str, object] = {}
            self.session = self.reload()

        def run(self, coro):  # type: ignore[no-untyped-def]
            return self.loop.run_until_complete(coro)

        def reload(self) -> Session:
            return self.run(self.manager.load(self.manager.open(self.cookie)))

        @rule(key=keys, value=json_values)
        def set(self, key: str, value: object) -> None:
            self.session[key] = value
            self.model[key] = value

        @rule(key=keys)
        def delete(self, key: str) -> None:
            if key in self.model:
                del self.session[key]
                del self.model[key]
            else:
                with pytest.raises(KeyError):
                    del self.session[key]

        @rule(key=keys, item=json_values)
        def append_in_place(self, key: str, item: object) -> None:
            value = self.session.get(key)
            if isinstance(value, list):
                value.append(item)
                self.model[key] = [*self.model[key], item]  # type: ignore[misc]

        @rule()
        def save(self) -> None:
            update = self.run(self.manager.save(self.session))
            if update is not None:
                self.cookie = update.value
            self.saved = dict(self.model) if self.session.id is not None else {}

        @rule()
        def reload_discarding_pending(self) -> None:
            self.session = self.reload()
            self.model = dict(self.saved)

        @precondition(lambda self: self.session.id is not None)
        @rule()
        def regenerate(self) -> None:
            self.session.regenerate()
            self.save()

        @invariant()
        def matches_model(self) -> None:
            assert dict(self.session) == self.model

        def teardown(self) -> None:
            self.run(self.manager.store.aclose())
            self.loop.close()

    return SessionMachine


def test_memory_store_session_matches_a_dict() -> None:
    run_state_machine_as_test(
        machine_for(MemoryStore), settings=settings(max_examples=40, stateful_step_count=25)
    )


def test_redis_store_session_matches_a_dict(make_store: Callable[[str], SessionStore]) -> None:
    run_state_machine_as_test(
        machine_for(lambda: make_store("redis")), settings=settings(max_examples=25, stateful_step_count=20)
    )
