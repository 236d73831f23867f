"""The messages of the demo's templates, as pybabel extracts them, all have a Chinese translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tornado.locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

DEMO = Path(__file__).resolve().parent.parent
TEMPLATES = "src/anemo_demo/templates"
LOCALE = DEMO / "src" / "anemo_demo" / "locale"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """``pybabel extract`` run on the templates with the demo's babel.cfg, read back."""
    pot = tmp_path_factory.mktemp("messages") / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_"]
    command += ["-c", "Translators:", "-o", str(pot), TEMPLATES]
    result = subprocess.run(command, cwd=DEMO, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    with pot.open("rb") as file:
        return read_po(file)


def test_extracts_the_templates_messages(catalog: Catalog) -> None:
    """Messages of expressions, conditions and assignments, with the templates they are in."""
    places = {message.id: {path for path, _ in message.locations} for message in catalog if message.id}
    assert places["The anemo demo"] == {f"{TEMPLATES}/home.html"}
    assert f"{TEMPLATES}/error.html" in places["There is no page here."]  # inside {% if %}
    assert f"{TEMPLATES}/login.html" in places["Username"]  # inside {% set %}
    assert f"{TEMPLATES}/hosts.html" in places["Port"]  # a tuple in {% set %}
    assert "You are signed in as %(name)s." in places
    assert {"Log in", "Register", "Sign out everywhere else"} <= set(places)
    assert len(places) >= 80


def test_every_message_has_a_chinese_translation(catalog: Catalog) -> None:
    """Each msgid is in zh_CN.csv, where Tornado's CSV locale looks it up (plurals by form)."""
    tornado.locale.load_translations(str(LOCALE))
    translations = tornado.locale.get("zh_CN").translations  # type: ignore[attr-defined]
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            singular, plural = message.id
            missing += [singular] if singular not in translations.get("singular", {}) else []
            missing += [plural] if plural not in translations.get("plural", {}) else []
        elif message.id not in translations.get("unknown", {}):
            missing.append(message.id)
    assert not missing, f"not in {LOCALE / 'zh_CN.csv'}: {missing}"
