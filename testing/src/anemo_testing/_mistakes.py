"""The one check of the house error rule: a caller's mistake is the package's error and a builtin."""

from __future__ import annotations

from collections.abc import Callable

import pytest

__all__ = ["raises_mistake"]


def raises_mistake(action: Callable[[], object], error: type[Exception], *also: type[Exception]) -> Exception:
    """The exception ``action()`` raises, failing the test unless it is an ``error`` and each of ``also``.

    ``raises_mistake(lambda: Loader([]), InvalidOption, TemplateError, ValueError)`` checks both
    halves of the rule: callers may catch the package's root or the builtin, and either works.
    """
    with pytest.raises(error) as caught:
        action()
    missing = [kind.__name__ for kind in also if not isinstance(caught.value, kind)]
    assert not missing, f"{type(caught.value).__name__}({caught.value}) is not a {', '.join(missing)}"
    assert str(caught.value), f"{type(caught.value).__name__} has no message"
    return caught.value
