"""anemo.tmpl against tornado.template, Jinja2, Mako and hand-written Python.

Every engine autoescapes and returns UTF-8 bytes (Jinja2 and Mako give text, encoded here as
a web handler would). Cases: the classic bigtable (1000 rows x 10 integer columns, then strings
that need escaping), a one-line hello, a page extending a layout with 3 blocks, 2 includes and
a 100-item loop (and the same with an include inside the loop), and compiling a 200-line
template; plus ``linkify`` on a short comment against tornado's.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from harness import Suite

from anemo.tmpl import DictLoader, Template, linkify

ROWS = [{f"c{col}": row * 10 + col for col in range(10)} for row in range(1000)]
STRING_ROWS = [{key: f"<{value}> & 'x'" for key, value in row.items()} for row in ROWS]
ITEMS = [{"name": f"item <{index}>", "price": index * 3} for index in range(100)]

TORNADO_BIGTABLE = """<table>
{% for row in rows %}<tr>{% for value in row.values() %}<td>{{ value }}</td>{% end %}</tr>
{% end %}</table>"""
JINJA_BIGTABLE = """<table>
{% for row in rows %}<tr>{% for value in row.values() %}<td>{{ value }}</td>{% endfor %}</tr>
{% endfor %}</table>"""
MAKO_BIGTABLE = """<table>
% for row in rows:
<tr>\\
% for value in row.values():
<td>${value}</td>\\
% endfor
</tr>
% endfor
</table>"""

TORNADO_LAYOUT = {
    "base.html": """<html><head><title>{% block title %}Site{% end %}</title></head>
<body>{% include "header.html" %}
<main>{% block content %}{% end %}</main>
<aside>{% block sidebar %}no sidebar{% end %}</aside>
{% include "footer.html" %}</body></html>""",
    "header.html": "<header><h1>{{ site }}</h1><nav>{{ user }}</nav></header>",
    "footer.html": "<footer>&copy; {{ site }}</footer>",
    "item.html": "<li>{{ item['name'] }}: {{ item['price'] }}</li>",
    "page.html": """{% extends "base.html" %}
{% block title %}{{ title }}{% end %}
{% block content %}<ul>{% for item in items %}"""
    """<li>{{ item['name'] }}: {{ item['price'] }}</li>{% end %}</ul>{% end %}
{% block sidebar %}<p>{{ title }}</p>{% end %}""",
    "page_include.html": """{% extends "base.html" %}
{% block title %}{{ title }}{% end %}
{% block content %}<ul>{% for item in items %}{% include "item.html" %}{% end %}</ul>{% end %}
{% block sidebar %}<p>{{ title }}</p>{% end %}""",
}
JINJA_LAYOUT = {
    "base.html": """<html><head><title>{% block title %}Site{% endblock %}</title></head>
<body>{% include "header.html" %}
<main>{% block content %}{% endblock %}</main>
<aside>{% block sidebar %}no sidebar{% endblock %}</aside>
{% include "footer.html" %}</body></html>""",
    "header.html": "<header><h1>{{ site }}</h1><nav>{{ user }}</nav></header>",
    "footer.html": "<footer>&copy; {{ site }}</footer>",
    "item.html": "<li>{{ item['name'] }}: {{ item['price'] }}</li>",
    "page.html": """{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block content %}<ul>{% for item in items %}"""
    """<li>{{ item['name'] }}: {{ item['price'] }}</li>{% endfor %}</ul>{% endblock %}
{% block sidebar %}<p>{{ title }}</p>{% endblock %}""",
    "page_include.html": """{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block content %}<ul>{% for item in items %}{% include "item.html" %}{% endfor %}</ul>{% endblock %}
{% block sidebar %}<p>{{ title }}</p>{% endblock %}""",
}
MAKO_LAYOUT = {
    "base.html": """<html><head><title>${self.head_title()}</title></head>
<body><%include file="header.html"/>
<main>${self.content()}</main>
<aside>${self.sidebar()}</aside>
<%include file="footer.html"/></body></html>
<%def name="head_title()">Site</%def><%def name="content()"></%def>"""
    """<%def name="sidebar()">no sidebar</%def>""",
    "header.html": "<header><h1>${site}</h1><nav>${user}</nav></header>",
    "footer.html": "<footer>&copy; ${site}</footer>",
    "item.html": "<%page args=\"item\"/><li>${item['name']}: ${item['price']}</li>",
    "page.html": """<%inherit file="base.html"/>
<%def name="head_title()">${title}</%def>
<%def name="content()"><ul>\\
% for item in items:
<li>${item['name']}: ${item['price']}</li>\\
% endfor
</ul></%def>
<%def name="sidebar()"><p>${title}</p></%def>""",
    "page_include.html": """<%inherit file="base.html"/>
<%def name="head_title()">${title}</%def>
<%def name="content()"><ul>\\
% for item in items:
<%include file="item.html" args="item=item"/>\\
% endfor
</ul></%def>
<%def name="sidebar()"><p>${title}</p></%def>""",
}
LAYOUT_ARGS = {"site": "Example & Co", "user": "<ann>", "title": "Items", "items": ITEMS}


def _compile_source(end_if: str, end_for: str) -> str:
    """The 200-line template of the compile case, with the engine's closing tags."""
    return "\n".join(
        f"<p class='line{index}'>{{{{ values[{index % 7}] }}}} "
        f"{{% if flag %}}yes {{{{ name }}}}{{% else %}}no{{% {end_if} %}}</p>"
        if index % 3
        else f"{{% for item in items %}}<li>{{{{ item }}}} {index}</li>{{% {end_for} %}}"
        for index in range(200)
    )


COMPILE_SOURCE = _compile_source("end", "end")

Render = Callable[[], object]


def _floor_bigtable(rows: list[dict[str, object]]) -> Render:
    def render() -> bytes:
        escape = html.escape
        out = ["<table>\n"]
        append = out.append
        for row in rows:
            append("<tr>")
            for value in row.values():
                append(f"<td>{escape(str(value))}</td>")
            append("</tr>\n")
        append("</table>")
        return "".join(out).encode()

    return render


def _floor_layout() -> Render:
    def render() -> bytes:
        escape = html.escape
        site, user, title = escape(LAYOUT_ARGS["site"]), escape(LAYOUT_ARGS["user"]), escape("Items")
        out = [
            f"<html><head><title>{title}</title></head>\n"
            f"<body><header><h1>{site}</h1><nav>{user}</nav></header>\n<main><ul>"
        ]
        append = out.append
        for item in ITEMS:
            append(f"<li>{escape(item['name'])}: {escape(str(item['price']))}</li>")
        append(f"</ul></main>\n<aside><p>{title}</p></aside>\n<footer>&copy; {site}</footer></body></html>")
        return "".join(out).encode()

    return render


def _tornado() -> dict[str, Callable[..., Render]] | None:
    try:
        import tornado.template
    except ImportError:
        return None
    loader = tornado.template.DictLoader(TORNADO_LAYOUT)

    def source(text: str, **kw: object) -> Render:
        template = tornado.template.Template(text)
        return lambda: template.generate(**kw)

    return {
        "source": source,
        "page": lambda name: lambda: loader.load(name).generate(**LAYOUT_ARGS),
        "compile": lambda: lambda: tornado.template.Template(COMPILE_SOURCE),
    }


def _jinja() -> dict[str, Callable[..., Render]] | None:
    try:
        import jinja2
    except ImportError:
        return None
    env = jinja2.Environment(loader=jinja2.DictLoader(JINJA_LAYOUT), autoescape=True)
    jinja_compile_source = _compile_source("endif", "endfor")

    def source(text: str, **kw: object) -> Render:
        template = env.from_string(text)
        return lambda: template.render(**kw).encode()

    return {
        "source": source,
        "page": lambda name: lambda: env.get_template(name).render(**LAYOUT_ARGS).encode(),
        "compile": lambda: lambda: env.from_string(jinja_compile_source),
    }


def _mako() -> dict[str, Callable[..., Render]] | None:
    try:
        import mako.lookup
        import mako.template
    except ImportError:
        return None
    lookup = mako.lookup.TemplateLookup(default_filters=["h"])
    for name, text in MAKO_LAYOUT.items():
        lookup.put_string(name, text)

    def source(text: str, **kw: object) -> Render:
        template = mako.template.Template(text, default_filters=["h"])
        return lambda: template.render(**kw).encode()

    mako_compile_source = "\n".join(
        f"% for item in items:\n<li>${{item}} {index}</li>\n% endfor"
        if index % 3 == 0
        else f"<p class='line{index}'>${{values[{index % 7}]}} ${{'yes ' + name if flag else 'no'}}</p>"
        for index in range(200)
    )
    return {
        "source": source,
        "page": lambda name: lambda: lookup.get_template(name).render(**LAYOUT_ARGS).encode(),
        "compile": lambda: lambda: mako.template.Template(mako_compile_source, default_filters=["h"]),
    }


def suite() -> Suite:
    """The template cases, with whichever peers are installed."""
    tornado, jinja, mako = _tornado(), _jinja(), _mako()
    loader = DictLoader(TORNADO_LAYOUT)

    def ours(source: str, **kw: object) -> Render:
        template = Template(source)
        return lambda: template.generate(**kw)

    def peer(
        engine: dict[str, Callable[..., Render]] | None, key: str, *args: object, **kw: object
    ) -> Render | None:
        return engine[key](*args, **kw) if engine is not None else None

    def mako_source(*args: object, **kw: object) -> Render | None:
        return peer(mako, "source", *args, **kw)

    suite = Suite("tmpl: render and compile (lower is better; peer/ours > 1 means ours is faster)")
    for case, rows in (("bigtable ints", ROWS), ("bigtable escaped strings", STRING_ROWS)):
        suite.case(
            case,
            ours(TORNADO_BIGTABLE, rows=rows),
            {
                "tornado": peer(tornado, "source", TORNADO_BIGTABLE, rows=rows),
                "jinja2": peer(jinja, "source", JINJA_BIGTABLE, rows=rows),
                "mako": mako_source(MAKO_BIGTABLE, rows=rows),
                "hand-written": _floor_bigtable(rows),
            },
        )
    who = "World"

    def hello_floor() -> bytes:
        return f"Hello {html.escape(who)}!".encode()

    suite.case(
        "hello",
        ours("Hello {{ name }}!", name=who),
        {
            "tornado": peer(tornado, "source", "Hello {{ name }}!", name=who),
            "jinja2": peer(jinja, "source", "Hello {{ name }}!", name=who),
            "mako": mako_source("Hello ${name}!", name=who),
            "hand-written": hello_floor,
        },
    )
    for case, name in (("layout page", "page.html"), ("layout, include in loop", "page_include.html")):
        suite.case(
            case,
            lambda name=name: loader.load(name).generate(**LAYOUT_ARGS),
            {
                "tornado": peer(tornado, "page", name),
                "jinja2": peer(jinja, "page", name),
                "mako": peer(mako, "page", name),
                "hand-written": _floor_layout(),
            },
        )
    suite.case(
        "compile 200 lines",
        lambda: Template(COMPILE_SOURCE),
        {
            "tornado": peer(tornado, "compile"),
            "jinja2": peer(jinja, "compile"),
            "mako": peer(mako, "compile"),
        },
        note="parse and compile, no cache",
    )
    try:
        from tornado.escape import linkify as tornado_linkify
    except ImportError:
        tornado_linkify = None
    comment = (
        "Hello <world>, see http://example.com/path?a=1&b=2 and www.python.org. " * 3
        + "Some more prose without links here at all, just words. " * 5
    )
    suite.case(
        "linkify a comment",
        lambda: linkify(comment),
        {"tornado": (lambda: tornado_linkify(comment)) if tornado_linkify is not None else None},
        note="tornado.escape.linkify; no template",
    )
    return suite
