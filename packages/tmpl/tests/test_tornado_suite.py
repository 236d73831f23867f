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


def _all_tests(suite: unittest.TestSuite) -> list[unittest.TestCase]:
    tests: list[unittest.TestCase] = []
    for item in suite:
        tests.extend(_all_tests(item) if isinstance(item, unittest.TestSuite) else [item])
    return tests


# Every test that unittest itself finds in the module, so none is left out or added later unseen.
TORNADO_TESTS = _all_tests(unittest.TestLoader().loadTestsFromModule(template_test))


def _test_ids() -> list[str]:
    return [f"{type(test).__name__}.{test._testMethodName}" for test in TORNADO_TESTS]


def test_suite_uses_our_engine() -> None:
    """The patched module builds anemo templates, so the suite really exercises ours."""
    assert isinstance(template_test.Template("x"), anemo.tmpl.Template)
    assert isinstance(template_test.DictLoader({}), anemo.tmpl.DictLoader)
    assert template_test.ParseError is anemo.tmpl.ParseError
    assert template_test.Loader is anemo.tmpl.Loader


def test_suite_is_complete() -> None:
    """All of the module's test classes are run: each one that defines tests is in the list."""
    defined = {
        name
        for name, value in vars(template_test).items()
        if isinstance(value, type)
        and issubclass(value, unittest.TestCase)
        and value.__module__ == template_test.__name__
    }
    run = {test_id.split(".")[0] for test_id in _test_ids()}
    assert run == defined
    assert len(_test_ids()) >= 43


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
