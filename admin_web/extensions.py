"""Flask extensions, created unbound here and bound to the app in create_app (flaskbb style)."""
from __future__ import annotations

from functools import cached_property

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


class ConsoleBabel(Babel):
    """Flask-Babel whose message domain finds our zh_CN catalog (see admin_web.i18n.ConsoleDomain)."""

    @cached_property
    def domain_instance(self):
        from admin_web.i18n import ConsoleDomain

        return ConsoleDomain(domain=self.domain)


login_manager = LoginManager()
csrf = CSRFProtect()
babel = ConsoleBabel()
