"""Error pages (translated): 400 (incl. an expired CSRF token), 403, 404, 413 (a body over the limit), 500."""
from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

logger = logging.getLogger(__name__)

_MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Forbidden"), _l("Your role does not allow this page.")),
    404: (_l("Not found"), _l("This page or record does not exist.")),
    410: (_l("Cannot be opened"), _l("This file is encrypted with a key this console does not have.")),
    413: (_l("Too large"), _l("The upload is larger than this console accepts.")),
    500: (_l("Server error"), _l("Something went wrong; the change was not saved.")),
}


def render_error(code: int, detail: str | None = None):
    """The error page for `code`, with an optional more specific detail line."""
    title, message = _MESSAGES[code]
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def init_app(app: Flask) -> None:
    """Register the handlers."""
    for code in (400, 403, 404, 410, 413):
        app.register_error_handler(code, lambda exc, code=code: render_error(code))
    app.register_error_handler(CSRFError, lambda exc: render_error(400, _l("The form expired; please try again.")))

    @app.errorhandler(500)
    def _server_error(exc):
        logger.error("unhandled error: %s", exc)
        return render_error(500)
