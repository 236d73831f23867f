"""Tornado adapter: forms from a ``RequestHandler``, and JSON error responses for AJAX.

Import it only where Tornado is used (extra ``anemo-formvalidate[tornado]``)::

    from anemo.formvalidate.tornado import form_from_handler, send_errors, wants_json

    class SignupHandler(RequestHandler):
        async def post(self):
            form = form_from_handler(SignupForm, self)
            if not await form.validate():         # awaits async validators, if the form has any
                if wants_json(self):
                    return await send_errors(self, form)
                return self.render("signup.html", form=form)
            ...

Values are read as raw bytes from ``request.arguments`` (query and body) and ``request.files``,
so a value that is not UTF-8 becomes an error of its field instead of the HTTP 400/500 that
``get_argument`` would raise. A body sent as ``application/json`` is decoded and validated as a
JSON object, with the same error paths.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

try:
    from tornado.web import RequestHandler
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "tornado":
        raise
    raise ModuleNotFoundError(
        "anemo.formvalidate.tornado needs Tornado: pip install 'anemo-formvalidate[tornado]'", name="tornado"
    ) from exc

from ._form import BaseForm
from ._limits import DEFAULT_LIMITS, Limits

__all__ = ["form_from_handler", "send_errors", "wants_json"]

F = TypeVar("F", bound=BaseForm)


def _media_type(handler: RequestHandler) -> str:
    return handler.request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def form_from_handler(form_class: type[F], handler: RequestHandler, *, limits: Limits = DEFAULT_LIMITS) -> F:
    """A ``form_class`` over the handler's request, worded in ``handler.locale``.

    JSON bodies become :meth:`~anemo.formvalidate.BaseForm.from_json` forms (a body that is not a
    JSON object, or an array for a ``ListForm``, is a form error); such a body is the whole
    submission, without the query arguments. Anything else reads query and body arguments and uploaded files.
    """
    locale = handler.locale
    if _media_type(handler) == "application/json":
        try:
            document: Any = json.loads(handler.request.body)
        except (ValueError, RecursionError):  # bad JSON or UTF-8; absurd nesting
            document = None
        form: F = form_class.from_json(document, locale=locale, limits=limits)
        return form
    return form_class(handler.request.arguments, handler.request.files, locale=locale, limits=limits)


def wants_json(handler: RequestHandler) -> bool:
    """Whether the request came from script (XMLHttpRequest, JSON body or JSON accepted)."""
    headers = handler.request.headers
    return (
        headers.get("X-Requested-With", "").lower() == "xmlhttprequest"
        or _media_type(handler) == "application/json"
        or "application/json" in headers.get("Accept", "").lower()
    )


def send_errors(handler: RequestHandler, form: BaseForm, status: int = 400) -> Any:
    """Finish the request with ``status`` and the form's JSON error document.

    The document is :meth:`~anemo.formvalidate.BaseForm.errors_as_json`, ``{"errors": {path:
    message}, "details": [{"path", "code", "message", "params", "value"}]}``: a simple client
    shows the messages, a richer one acts on the codes. Returns the future of ``handler.finish()``.
    """
    handler.set_status(status)
    handler.set_header("Content-Type", "application/json; charset=UTF-8")
    return handler.finish(json.dumps(form.errors_as_json(), ensure_ascii=False))
