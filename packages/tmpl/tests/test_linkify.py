"""linkify: differential tests against tornado.escape.linkify, and its safety properties."""

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anemo.tmpl import SafeStr, Template, linkify

tornado_escape = pytest.importorskip("tornado.escape")

# Pieces that make URLs, break them, or sit on the edges of the URL grammar.
FRAGMENTS = [
    "http://", "https://", "ftp://", "HTTP://", "javascript:", "www.", "x-y:", "://", ":/", "///",
    "&amp;", "&quot;", "&", "&lt;", "(", ")", "()", "/", ".", ",", ":", ";", "?", "=", "#", "!", "~",
    "-", "_", "a", "w", "example.com", "abcdefghij", "q=1&r=2", "index.html", "\\", "'", '"', "<",
    ">", " ", "\n", "\t", "\u00a0", "\u2028", "\u00e9", "\u0663", "\u00b2", "\u4e2d", "\U0001f600",
]  # fmt: skip

texts = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)


def _echo_url(url: str) -> str:
    return f' data-url="{url}" '


def _nothing(url: str) -> str:
    return ""


EXTRA_PARAMS: list[str | Callable[[str], str]] = ["", 'rel="nofollow"', "  ", _echo_url, _nothing]
PROTOCOLS = [("http", "https"), ["http", "javascript", "ftp", "HTTP", "x-y"], []]


@settings(max_examples=1500)
@given(
    text=texts,
    shorten=st.booleans(),
    extra_params=st.sampled_from(EXTRA_PARAMS),
    require_protocol=st.booleans(),
    permitted_protocols=st.sampled_from(PROTOCOLS),
)
def test_linkify_matches_tornado(
    text: str,
    shorten: bool,
    extra_params: str | Callable[[str], str],
    require_protocol: bool,
    permitted_protocols: list[str],
) -> None:
    """Every option and every corner of the URL grammar gives tornado's output exactly."""
    options = {
        "shorten": shorten,
        "extra_params": extra_params,
        "require_protocol": require_protocol,
        "permitted_protocols": permitted_protocols,
    }
    assert linkify(text, **options) == tornado_escape.linkify(text, **options)


@settings(max_examples=300)
@given(text=st.text(max_size=60))
def test_linkify_matches_tornado_on_any_text(text: str) -> None:
    """Arbitrary Unicode text links and escapes as in tornado."""
    assert linkify(text, shorten=True) == tornado_escape.linkify(text, shorten=True)


def test_linkify_examples() -> None:
    """Known inputs: punctuation after a URL, parentheses, www., schemes not permitted, bytes."""
    assert linkify("see http://example.com.") == 'see <a href="http://example.com">http://example.com</a>.'
    assert linkify("(www.a.org/x_(y))") == '(<a href="http://www.a.org/x_(y)">www.a.org/x_(y)</a>)'
    assert linkify("javascript:alert(1)") == "javascript:alert(1)"
    assert linkify(b"<http://a.b?x=1&y=2>") == (
        '&lt;<a href="http://a.b?x=1&amp;y=2">http://a.b?x=1&amp;y=2</a>&gt;'
    )
    long_url = "http://example.com/averyverylongpath/and/more/than/thirty/characters"
    assert linkify(long_url, shorten=True) == (
        f'<a href="{long_url}" title="{long_url}">http://example.com/averyver...</a>'
    )


@settings(max_examples=200)
@given(text=texts)
def test_linkify_output_is_safe_markup(text: str) -> None:
    """The result is a SafeStr whose only tags are the links it made: {{ linkify(x) }} is safe."""
    linked = linkify(text)
    assert isinstance(linked, SafeStr)
    without_links = linked.replace("</a>", "")
    while '<a href="' in without_links:
        start = without_links.index('<a href="')
        without_links = without_links[:start] + without_links[without_links.index(">", start) + 1 :]
    assert "<" not in without_links
    assert ">" not in without_links


def test_linkify_in_templates_is_written_once() -> None:
    """Templates see linkify; its markup is not escaped again, the text inside it is."""
    rendered = Template("{{ linkify(text) }}").generate(text="<b> http://a.org")
    assert rendered == b'&lt;b&gt; <a href="http://a.org">http://a.org</a>'


# Runs of scheme characters make a backtracking scan quadratic: tornado's linkify takes
# seconds on 60,000 characters of these, and minutes on a few times more. None holds a link.
SCHEME_RUNS = {
    "scheme characters without a colon": "a-" * 30000,
    "a long scheme before a bodiless :/": "a-" * 30000 + ":/",
    "a long scheme, a bad body": "a-" * 30000 + "://" + "." * 30000,
}
# Long inputs tornado handles quickly, to compare with.
LONG_INPUTS = {
    "many www. starts": "www." * 30000,
    "many :/ marks": ":/" * 30000,
    "an endless run of entities": "http://x" + "&amp;" * 30000 + "!",
    "unbalanced parentheses": "www.a" + "(" * 30000,
}


@pytest.mark.parametrize("text", SCHEME_RUNS.values(), ids=SCHEME_RUNS.keys())
def test_linkify_reads_long_scheme_runs_once(text: str) -> None:
    """Runs that are slow for tornado come back unchanged, and fast (quadratic would hang here)."""
    assert linkify(text) == text


@pytest.mark.parametrize("text", LONG_INPUTS.values(), ids=LONG_INPUTS.keys())
def test_linkify_long_inputs_match_tornado(text: str) -> None:
    """Long repetitive inputs give tornado's output."""
    assert linkify(text) == tornado_escape.linkify(text)
