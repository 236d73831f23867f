"""Tornado integration: a template loader for the ``template_loader`` application setting.

::

    from anemo.tmpl.tornado import TornadoLoader

    settings = {"template_path": "templates", "debug": True}
    app = tornado.web.Application(routes, template_loader=TornadoLoader.from_settings(settings), **settings)

``self.render()``, ``ui_modules``, ``ui_methods``, ``static_url`` and ``xsrf_form_html`` work
unchanged. The markup that ``xsrf_form_html()`` and UI modules produce is marked safe (as
is ``linkify()``'s, which is anemo.tmpl's own), so ``{{ xsrf_form_html() }}`` and
``{{ modules.Entry(e) }}`` write it once instead of escaping it again. With
``compiled_template_cache=False`` (or ``debug=True``) Tornado resets the loader on every
request; this loader then recompiles only the templates whose files changed.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

try:
    import tornado.escape
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "tornado":
        raise
    raise ModuleNotFoundError(
        "anemo.tmpl.tornado needs Tornado: pip install 'anemo-tmpl[tornado]'", name="tornado"
    ) from exc

from ._escape import SafeStr, to_text
from ._loader import Loader
from ._template import Template

__all__ = ["TornadoLoader", "TornadoTemplate"]


def _safe_result(function: Callable[..., Any]) -> Callable[..., SafeStr]:
    def call_marked_safe(*args: Any, **kwargs: Any) -> SafeStr:
        return SafeStr(to_text(function(*args, **kwargs)))

    return call_marked_safe


#: Helpers tornado.template puts in every template's namespace, taken from tornado itself.
#: (``linkify`` is anemo.tmpl's: the same output, in linear time, marked safe.)
TORNADO_NAMESPACE: Mapping[str, Any] = {
    "url_escape": tornado.escape.url_escape,
    "json_encode": tornado.escape.json_encode,
    "squeeze": tornado.escape.squeeze,
}


class _SafeModules:
    """``_tt_modules``/``modules`` whose UI modules return :class:`SafeStr`."""

    def __init__(self, modules: Any) -> None:
        self._modules = modules

    def __getattr__(self, name: str) -> Callable[..., SafeStr]:
        return _safe_result(getattr(self._modules, name))

    def __getitem__(self, name: str) -> Callable[..., SafeStr]:
        return _safe_result(self._modules[name])


def _mark_safe(namespace: dict[str, Any]) -> dict[str, Any]:
    """Wrap the markup-producing helpers of a Tornado template namespace to return SafeStr."""
    xsrf_form_html = namespace.get("xsrf_form_html")
    if xsrf_form_html is not None:
        namespace["xsrf_form_html"] = _safe_result(xsrf_form_html)
    modules = namespace.get("_tt_modules")
    if modules is not None:
        safe_modules = _SafeModules(modules)
        namespace["_tt_modules"] = safe_modules
        if namespace.get("modules") is modules:
            namespace["modules"] = safe_modules
    return namespace


class TornadoTemplate(Template):
    """A template that marks the markup of Tornado's namespace helpers as safe."""

    def generate(self, **kwargs: Any) -> bytes:
        return super().generate(**_mark_safe(kwargs))

    def generate_iter(self, **kwargs: Any) -> Iterator[bytes]:
        return super().generate_iter(**_mark_safe(kwargs))

    async def generate_async(self, **kwargs: Any) -> bytes:
        return await super().generate_async(**_mark_safe(kwargs))

    def generate_async_iter(self, **kwargs: Any) -> AsyncIterator[bytes]:
        return super().generate_async_iter(**_mark_safe(kwargs))


class TornadoLoader(Loader):
    """A :class:`~anemo.tmpl.Loader` for ``Application(template_loader=...)``.

    It takes :class:`~anemo.tmpl.Loader`'s arguments; its templates see Tornado's own
    ``url_escape``, ``json_encode`` and ``squeeze`` besides the namespace given.
    """

    def __init__(self, root_directory: Any, **kwargs: Any) -> None:
        namespace = {**TORNADO_NAMESPACE, **(kwargs.pop("namespace", None) or {})}
        super().__init__(root_directory, namespace=namespace, **kwargs)
        self.template_class = TornadoTemplate

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], **kwargs: Any) -> TornadoLoader:
        """A loader configured from Tornado application settings.

        Uses ``template_path`` (default: the working directory), ``autoescape`` and
        ``template_whitespace``; ``compiled_template_cache=False`` or ``debug=True`` turn on
        reloading by modification time. ``kwargs`` override any of these.
        """
        options: dict[str, Any] = {
            "auto_reload": not settings.get("compiled_template_cache", not settings.get("debug", False)),
        }
        if "autoescape" in settings:
            options["autoescape"] = settings["autoescape"]
        if "template_whitespace" in settings:
            options["whitespace"] = settings["template_whitespace"]
        options.update(kwargs)
        return cls(settings.get("template_path", os.getcwd()), **options)
