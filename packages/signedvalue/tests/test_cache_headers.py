"""Merging Vary and Cache-Control: random directive lists, as handlers and frameworks write them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from anemo.signedvalue._cache_headers import cache_control_private, vary_with_cookie

#: Directives a shared cache may act on, in the spellings handlers write; all of them go.
SHARED = st.sampled_from(
    [
        "public",
        "Public",
        "PUBLIC",
        "s-maxage=60",
        "S-MaxAge=0",
        "s-maxage = 3600",
        "private",
        "Private",
        'private="Set-Cookie"',
        'private="Set-Cookie, Authorization"',
    ]
)
NO_STORE = st.sampled_from(["no-store", "No-Store"])
#: Everything else stays, spelled as given.
OTHER = st.sampled_from(
    [
        "max-age=600",
        "Max-Age=0",
        "no-cache",
        'no-cache="Set-Cookie, Authorization"',
        "must-revalidate",
        "proxy-revalidate",
        "no-transform",
        "immutable",
        "stale-while-revalidate=30",
        'ext="a, \\"quoted\\" b"',
    ]
) | st.from_regex(r"[a-z][a-z0-9-]{0,12}(=[0-9]{1,4})?", fullmatch=True).filter(
    lambda directive: directive.split("=")[0] not in {"public", "private", "s-maxage", "no-store"}
)
DIRECTIVES = st.lists(
    st.one_of(
        SHARED.map(lambda text: (text, "shared")),
        NO_STORE.map(lambda text: (text, "no-store")),
        OTHER.map(lambda text: (text, "other")),
    ),
    max_size=8,
)
SEPARATORS = st.sampled_from([",", ", ", " ,", "\t,\t", ", ,", ",,"])


@st.composite
def cache_controls(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    """A Cache-Control value with sloppy separators, and the directives it was built from."""
    directives = draw(DIRECTIVES)
    value = ""
    for number, (text, _) in enumerate(directives):
        value += (draw(SEPARATORS) if number else draw(st.sampled_from(["", " ", ","]))) + text
    return value + draw(st.sampled_from(["", " ", ","])), directives


def names(cache_control: str) -> list[str]:
    """Lower-case directive names of a value this module wrote (members joined with ", ")."""
    return [member.partition("=")[0].strip().lower() for member in cache_control.split(", ")]


@given(cache_controls(), st.booleans())
def test_cache_control_private(built: tuple[str, list[tuple[str, str]]], no_store: bool) -> None:
    """Never public or s-maxage; private (and no-store if asked) first; the rest kept; idempotent."""
    value, directives = built
    result = cache_control_private(value, no_store=no_store)
    kept = [text for text, kind in directives if kind != "shared"]
    added = ["private"]
    if no_store and all(kind != "no-store" for _, kind in directives):
        added.append("no-store")
    assert result == ", ".join([*added, *kept])
    assert "public" not in names(result)
    assert "s-maxage" not in names(result)
    assert names(result).count("private") == 1
    assert cache_control_private(result, no_store=no_store) == result


def test_cache_control_private_examples() -> None:
    """A field-qualified private becomes plain private; an unterminated quote swallows only its tail."""
    assert cache_control_private("") == "private"
    assert cache_control_private("", no_store=True) == "private, no-store"
    assert cache_control_private('private="Set-Cookie", max-age=60') == "private, max-age=60"
    assert cache_control_private("public, max-age=600, s-maxage=600") == "private, max-age=600"
    unterminated = cache_control_private('public, x="a, no-store', no_store=True)
    assert unterminated == 'private, no-store, x="a, no-store'
    assert cache_control_private(unterminated, no_store=True) == unterminated


FIELD_NAMES = st.sampled_from(["Accept-Encoding", "accept-language", "Origin", "cookie", "COOKIE", "*"]) | (
    st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,12}", fullmatch=True)
)


@given(st.lists(FIELD_NAMES, max_size=6), SEPARATORS)
def test_vary_with_cookie(fields: list[str], separator: str) -> None:
    """Cookie once, names kept once each whatever their case, Vary: * untouched; idempotent."""
    value = separator.join(fields)
    result = vary_with_cookie(value)
    if "*" in fields:
        assert result == value
        return
    members = [member.lower() for member in result.split(", ")]
    assert members.count("cookie") == 1
    assert len(members) == len(set(members))
    assert set(members) == {field.lower() for field in fields} | {"cookie"}
    assert vary_with_cookie(result) == result
