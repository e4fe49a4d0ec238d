"""Locale choice: ?lang= (remembered in the session), then the session, the user's locale, the default."""
from __future__ import annotations

from urllib.parse import urlencode

from babel import Locale, support
from flask import current_app, request, session
from flask_babel import Domain, get_locale
from flask_login import current_user

LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}


def remember_requested_locale() -> None:
    """before_request: a valid ?lang= is stored in the session for the following pages."""
    lang = request.args.get("lang")
    if lang in LOCALES:
        session["lang"] = lang


def select_locale() -> str:
    """Flask-Babel locale selector (see module docstring for the order)."""
    for candidate in (request.args.get("lang"), session.get("lang"),
                      getattr(current_user, "locale", None) if current_user else None):
        if candidate in LOCALES:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def lang_url(code: str) -> str:
    """The current page's URL with ?lang=code (other query arguments kept)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    query = urlencode([(k, v) for k, values in args.items() for v in values])
    return f"{request.path}?{query}"


def current_locale_code() -> str:
    """The request's locale as one of LOCALES ('zh_CN', not Babel's 'zh_Hans_CN')."""
    locale = get_locale()
    code = f"{locale.language}_{locale.territory}" if locale and locale.territory else str(locale)
    return code if code in LOCALES else current_app.config["BABEL_DEFAULT_LOCALE"]


def catalog_names(locale: Locale) -> list[str]:
    """Catalog folders to try for a locale: Babel says zh_Hans_CN, our catalog is zh_CN, then plain zh."""
    names = [str(locale)]
    if locale.territory:
        names.append(f"{locale.language}_{locale.territory}")
    names.append(locale.language)
    return names


class ConsoleDomain(Domain):
    """Flask-Babel's message domain, finding translations/zh_CN/ for Babel's 'zh_Hans_CN'.

    Babel adds the likely script to zh_CN, and gettext's fallback drops the territory, not the script,
    so the stock lookup would miss our zh_CN catalog.
    """

    def get_translations(self) -> support.Translations | support.NullTranslations:
        """The merged catalogs of the request's locale (cached per locale)."""
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        key = (str(locale), self.domain[0])
        if key not in self.cache:
            translations = support.Translations()
            for dirname in self.translation_directories:
                catalog = support.Translations.load(dirname, catalog_names(locale), self.domain[0])
                translations.merge(catalog)
                if hasattr(catalog, "plural"):  # merge() does not copy it (as in Flask-Babel itself)
                    translations.plural = catalog.plural
            self.cache[key] = translations
        return self.cache[key]
