"""Tornado's own template test suite, run against anemo.tmpl.

The suite ships inside the tornado package (``tornado/test/template_test.py``); its test
classes look up ``Template``, ``Loader``, ``DictLoader`` and ``ParseError`` in their module's
globals, so putting ours there runs every one of its tests on our engine.
"""

import unittest

import pytest

import anemo.tmpl

template_test = pytest.importorskip("tornado.test.template_test")

for _name in ("Template", "Loader", "DictLoader", "ParseError"):
    setattr(template_test, _name, getattr(anemo.tmpl, _name))

TORNADO_CASES = [
    template_test.TemplateTest,
    template_test.StackTraceTest,
    template_test.ParseErrorDetailTest,
    template_test.AutoEscapeTest,
    template_test.TemplateLoaderTest,
]


def _test_ids() -> list[str]:
    loader = unittest.TestLoader()
    return [f"{case.__name__}.{name}" for case in TORNADO_CASES for name in loader.getTestCaseNames(case)]


def test_suite_uses_our_engine() -> None:
    """The patched module builds anemo templates, so the suite really exercises ours."""
    assert isinstance(template_test.Template("x"), anemo.tmpl.Template)
    assert len(_test_ids()) > 40


@pytest.mark.parametrize("test_id", _test_ids())
def test_tornado_template_suite(test_id: str) -> None:
    """One test of tornado's template suite passes with anemo.tmpl substituted."""
    case_name, method = test_id.split(".")
    case = getattr(template_test, case_name)(method)
    result = unittest.TestResult()
    case.run(result)
    problems = [text for _, text in result.errors + result.failures]
    assert not problems, "\n".join(problems)
    if result.skipped:
        pytest.skip(f"skipped by tornado: {result.skipped[0][1]}")
    assert result.testsRun == 1
