"""The look of the demo, measured in a real headless Chromium (Debian's, driven by Playwright).

No inline script or style (the Content-Security-Policy forbids them), WCAG AA text contrast in both
themes, a favicon, and pages that work at phone width. Screenshots of failed tests land in
``demo-app/test-artifacts/``, as in test_e2e.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api")

PUBLIC = ["/", "/visits", "/hosts", "/cookies", "/cluster", "/async", "/subdomain", "/login", "/register"]
SIGNED_IN = ["/account", "/profile"]
PHONE = {"width": 375, "height": 800}
AA = 4.5

# Chromium reports a blocked inline style or script on the console ("Refused to ..." in older
# versions, "... violates the following Content Security Policy directive ..." in newer ones) and
# as a securitypolicyviolation event, which this script records for the test to read.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI} at ${where}`);
});
"""
CSP_MESSAGE = re.compile(r"Refused to|Content Security Policy", re.IGNORECASE)

INLINE_CODE = """() => {
  const found = [];
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      if (attribute.name === "style" || attribute.name.startsWith("on")) {
        found.push(`<${element.localName} ${attribute.name}="${attribute.value}">`);
      }
    }
  }
  for (const script of document.querySelectorAll("script:not([src])")) found.push("inline <script>");
  for (const style of document.querySelectorAll("style")) found.push("<style> element");
  for (const link of document.querySelectorAll("a[href^='javascript:']")) found.push("javascript: link");
  return found;
}"""

# Every visible piece of text and every form control: its colour, the background it sits on (the
# element's and its ancestors' background colours composited over the white canvas), and the
# WCAG 2 contrast ratio of the two.
CONTRAST = """() => {
  const parse = (value) => {
    const parts = value.match(/[\\d.]+/g).map(Number);
    return parts.length > 3 ? parts : [...parts, 1];
  };
  const over = ([r, g, b, a], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
  const background = (element) => {
    const chain = [];
    for (let node = element; node; node = node.parentElement) chain.unshift(node);
    const colours = chain.map((node) => parse(getComputedStyle(node).backgroundColor));
    return colours.reduce((below, colour) => over(colour, below), [255, 255, 255]);
  };
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (light + 0.05) / (dark + 0.05);
  };
  const shown = (element) => {
    const box = element.getBoundingClientRect();
    return element.checkVisibility({ opacityProperty: true, visibilityProperty: true })
      && box.width > 1 && box.height > 1 && box.right > 0 && box.bottom > 0;
  };
  const hex = (rgb) => "#" + rgb.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("");
  const results = [];
  for (const element of document.body.querySelectorAll("*")) {
    const ownText = [...element.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim());
    const control = element.matches("input:not([type=hidden]):not([type=file]), select, button");
    if (!(ownText || control) || element.closest("svg") || !shown(element)) continue;
    const bg = background(element);
    const fg = over(parse(getComputedStyle(element).color), bg);
    results.push({
      kind: element.closest("a") ? "link" : control ? "control" : "text",
      what: `<${element.localName}> ${(element.textContent || element.value || "").trim().slice(0, 30)}`,
      fg: hex(fg),
      bg: hex(bg),
      ratio: ratio(fg, bg),
    });
  }
  return results;
}"""

FITS = """() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth })"""

CONTROLS = """(selector) => [...document.querySelectorAll(selector)].map((element) => {
  const box = element.getBoundingClientRect();
  return {
    name: element.name || element.id || element.textContent.trim(),
    visible: element.checkVisibility({ opacityProperty: true, visibilityProperty: true }),
    left: box.left, right: box.right, width: box.width,
  };
})"""


def choose_theme(live: Any, page: Any, theme: str) -> None:
    """Remember ``theme`` in the signed ``prefs`` cookie, through the cookies page's form."""
    page.goto(live.url + "/cookies")
    page.select_option("#theme", theme)
    page.click("#save-prefs")
    page.wait_for_selector(f"html[data-theme={theme}]")


def low_contrast(page: Any, where: str, seen: dict[str, float]) -> list[str]:
    """The texts on the page below AA; ``seen`` keeps the lowest ratio met per kind of text."""
    failures = []
    for item in page.evaluate(CONTRAST):
        seen[item["kind"]] = min(seen.get(item["kind"], 99.0), item["ratio"])
        if item["ratio"] < AA:
            failures.append(f"{where} {item['what']!r}: {item['fg']} on {item['bg']} = {item['ratio']:.2f}")
    return failures


def test_no_inline_script_or_style_and_no_csp_violation(in_browser, live, context_factory) -> None:
    """Every page, signed out and in, under the site's policy: nothing inline, nothing refused.

    The policy is the one the app sends (``anemo_demo.headers``).
    """
    page = context_factory().new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.on("pageerror", lambda error: messages.append(str(error)))

    problems = []
    for path in [*PUBLIC, "/no/such/page", "register", *SIGNED_IN]:
        if path == "register":
            in_browser.register(live, page, "dora")
            continue
        messages.clear()
        page.goto(live.url + path)
        assert page.url == live.url + path
        inline = page.evaluate(INLINE_CODE)
        violations = page.evaluate("window.__violations")
        refused = [text for text in messages if CSP_MESSAGE.search(text)]
        problems += [f"{path}: {what}" for what in [*inline, *violations, *refused]]
    assert problems == []

    # The check can see a violation: an inline style set now is refused, and reported both ways.
    messages.clear()
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.__violations.length > 0")
    assert any(CSP_MESSAGE.search(text) for text in messages), messages


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_contrast_meets_wcag_aa(in_browser, live, context_factory, theme) -> None:
    """Links, body text and form controls against what is behind them: at least 4.5:1 everywhere."""
    page = context_factory().new_page()
    choose_theme(live, page, theme)
    failures: list[str] = []
    seen: dict[str, float] = {}
    page.goto(live.url + "/register")
    page.fill("input[name=username]", "x")
    page.fill("input[name=email]", "not an email")
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("p.error")
    failures += low_contrast(page, "/register with errors", seen)
    for path in PUBLIC:
        page.goto(live.url + path)
        failures += low_contrast(page, path, seen)
    page.goto(live.url + "/hosts")
    page.fill("input[name='hosts[0].ip']", "10.0.0.300")
    page.click("#save-hosts")
    page.wait_for_selector("p.error")
    failures += low_contrast(page, "/hosts with errors", seen)
    page.goto(live.url + "/cookies")
    page.click("#set-cookies")
    page.click("#tamper-cookies")
    page.wait_for_selector(".rejected")
    failures += low_contrast(page, "/cookies tampered", seen)
    in_browser.register(live, page, f"erin-{theme}")
    for path in SIGNED_IN:
        page.goto(live.url + path)
        failures += low_contrast(page, path, seen)
    lowest = ", ".join(f"{kind} {ratio:.2f}" for kind, ratio in sorted(seen.items()))
    print(f"{theme}: lowest contrast: {lowest}")  # shown with pytest -s
    assert set(seen) == {"link", "text", "control"}
    assert failures == []


def test_favicon(live, client, context_factory) -> None:
    """/favicon.ico leads to the SVG mark, which every page names as its icon."""
    redirect = client.get("/favicon.ico")
    assert redirect.status in (301, 302)
    assert redirect.location == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status == 200
    assert icon.headers["Content-Type"].startswith("image/svg+xml")
    assert icon.body.lstrip().startswith("<svg")
    page = context_factory().new_page()
    page.goto(live.url + "/")
    href = page.get_attribute("link[rel=icon]", "href")
    assert href is not None
    assert href.startswith("/static/favicon.svg")
    assert page.get_attribute("link[rel=icon]", "type") == "image/svg+xml"
    assert page.request.get(live.url + href).status == 200
    assert page.request.get(live.url + "/favicon.ico").status == 200  # redirect followed


def test_pages_fit_a_phone(in_browser, live, context_factory) -> None:
    """At 375 px no page scrolls sideways; the hosts form's fields are all on screen and wide enough."""
    page = context_factory(**PHONE).new_page()
    in_browser.register(live, page, "frank")
    for path in [*PUBLIC, *SIGNED_IN]:
        page.goto(live.url + path)
        fits = page.evaluate(FITS)
        assert fits["scroll"] <= fits["width"], (path, fits)
    page.goto(live.url + "/hosts")
    page.fill("input[name='hosts[0].host']", "a-rather-long-host-name.example.com")
    page.fill("input[name='hosts[0].ip']", "10.0.0.300")
    page.click("#add-row")
    page.click("#add-row")
    page.click("#save-hosts")
    page.wait_for_selector("p.error")
    fits = page.evaluate(FITS)
    assert fits["scroll"] <= fits["width"], fits
    # Every input and button but the form's default button, kept off screen on purpose.
    every = "#hosts-form :is(input:not([type=hidden]), button:not(.default-submit))"
    controls = page.evaluate(CONTROLS, every)
    assert len([field for field in controls if field["name"].startswith("hosts[")]) >= 8  # rows x 4 fields
    for field in controls:
        assert field["visible"], field
        assert field["left"] >= 0, field
        assert field["right"] <= fits["width"], field
        assert field["width"] >= 44, field


@pytest.mark.parametrize("width", [1100, 375])
def test_cluster_page_shows_a_node_down(servers, make_live, context_factory, width) -> None:
    """One of three shards killed: its row says so in words and colour, and the table still fits."""
    nodes = [servers.redis() for _ in range(3)]
    live = make_live(session_store=",".join(node.url for node in nodes), captcha_store="memory")
    nodes[1].kill()
    page = context_factory(width=width).new_page()
    for theme in ("light", "dark"):
        choose_theme(live, page, theme)
        page.goto(live.url + "/cluster")
        assert page.locator("#nodes tr.node").count() == 3
        down = page.locator("#nodes tr.node.down")
        assert down.count() == 1
        assert down.locator(".state.down").is_visible()
        assert page.locator("#nodes tr.node:not(.down) .state.up").count() == 2
        fits = page.evaluate(FITS)
        assert fits["scroll"] <= fits["width"], fits
        overflowing = page.evaluate(
            "[...document.querySelectorAll('#nodes td')].filter((td) => td.scrollWidth > td.clientWidth + 1)"
            ".map((td) => td.textContent.trim())"
        )
        assert overflowing == []
        seen: dict[str, float] = {}
        assert low_contrast(page, f"/cluster ({theme})", seen) == []


def test_chinese_is_drawn_in_a_cjk_font(live, context_factory) -> None:
    """A zh-CN page's text is drawn in a font with Chinese glyphs, not as boxes (fonts-noto-cjk)."""
    context = context_factory(locale="zh-CN")
    page = context.new_page()
    page.goto(live.url + "/register")
    assert re.search("[\u4e00-\u9fff]", page.text_content("h1") or "")
    devtools = context.new_cdp_session(page)
    devtools.send("DOM.enable")
    devtools.send("CSS.enable")
    root = devtools.send("DOM.getDocument")["root"]["nodeId"]
    heading = devtools.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = devtools.send("CSS.getPlatformFontsForNode", {"nodeId": heading})["fonts"]
    families = [font["familyName"] for font in fonts]
    assert any("CJK" in family for family in families), (
        f"Chinese drawn with {families}: apt-get install -y fonts-noto-cjk (the test command does it)"
    )
