"""The web console: a Flask app over the engine's database (agents, groups, calls) for admins and supervisors.

`create_app()` is a readable list of small configure_* steps; each blueprint is one package with
`views.py` (thin), `forms.py` (Flask-WTF) and `queries.py` (reads).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask
from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from engine.config import Config


def create_app(config: "Config | None" = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the console from the engine configuration (load_config() when None), then test overrides."""
    app = Flask(__name__)
    configure_app(app, config, overrides or {})
    configure_extensions(app)
    configure_db(app)
    configure_babel(app)
    configure_blueprints(app)
    configure_errorhandlers(app)
    configure_template_filters(app)
    configure_security_headers(app)
    return app


# Scripts only from this site's files (no inline script or handler: static/js/forms.js does what handlers did), so
# an injected <script> or on*= attribute does not run; styles may be inline (ECharts and two computed indents);
# nothing is third-party, and no other site may frame the console (clickjacking).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; "
                           "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def configure_security_headers(app: Flask) -> None:
    """Every answer says what the browser may do with it."""
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def configure_app(app: Flask, config: "Config | None", overrides: dict[str, Any]) -> None:
    """Defaults, then the engine's Config, then overrides (tests: TESTING, WTF_CSRF_ENABLED, DATABASE_URL...).

    With no Config, load_config() is used, unless the overrides already give DATABASE_URL and SECRET_KEY
    (then the app does not depend on conf/ or CALLCENTER_* variables, which suits tests).
    """
    if config is None and not {"DATABASE_URL", "SECRET_KEY"} <= overrides.keys():
        from engine.config import load_config

        config = load_config()
    app.config.update(
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",  # the hotline's wall clock: "today" means today in China
        AGENT_POLL_INTERVAL_MS=2000,
        CALLS_PER_PAGE=50,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="cc_session",
        IDLE_TIMEOUT_MINUTES=30,
        MAX_CONTENT_LENGTH=50 * 1024 * 1024,
        LIVE_POLL_S=0.05,           # SQLite: how often each console process reads the live feed (PostgreSQL: NOTIFY)
        FLOOR_SHARED_S=1.0,         # the floor's figures, computed once per this for all viewers of the same halls
        WALLBOARD_SHARED_S=1.0,     # the wallboard's likewise
    )
    if config is not None:
        app.config.update(IDLE_TIMEOUT_MINUTES=config.web_idle_timeout_minutes,
                          SESSION_COOKIE_SECURE=config.web_secure_cookies,
                          MAX_CONTENT_LENGTH=config.web_max_upload_mb * 1024 * 1024)
        if config.web_behind_proxy:         # one proxy in front (conf/nginx/callcenter.conf) sets these headers
            from werkzeug.middleware.proxy_fix import ProxyFix
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
        app.config.update(SECRET_KEY=config.web_secret_key, DATABASE_URL=config.database_url,
                          BABEL_DEFAULT_LOCALE=config.default_locale, RECORDINGS_DIR=str(config.recordings_dir),
                          FLOWS_DIR=str(config.flows_dir), PROMPTS_DIR=str(config.prompts_dir),
                          SIP_DOMAIN=config.sip_domain, DIRECTORY_CREDENTIALS=config.directory_credentials,
                          RECORDING_KEYS=config.recording_keys, REPORT_WORKERS=config.web_report_workers)
    app.config.update(overrides)


def configure_extensions(app: Flask) -> None:
    """CSRF on every form; Flask-Login with the login page and a translated prompt."""
    from admin_web.extensions import csrf, login_manager
    from admin_web import security  # noqa: F401  (registers the user loader)

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"


def configure_db(app: Flask) -> None:
    """Request-scoped sessions on the engine's store."""
    from admin_web import db, jobs, live, scope

    db.init_app(app)
    scope.init_app(app)
    live.init_app(app)
    jobs.init_app(app)


def configure_babel(app: Flask) -> None:
    """Simplified Chinese by default, English as the alternative; ?lang= switches and is remembered."""
    from admin_web.extensions import babel
    from admin_web.i18n import remember_requested_locale, select_locale

    babel.init_app(app, locale_selector=select_locale)
    app.before_request(remember_requested_locale)


def configure_blueprints(app: Flask) -> None:
    """One blueprint per feature."""
    from admin_web.agents import bp as agents_bp
    from admin_web.auth import bp as auth_bp
    from admin_web.callbacks import bp as callbacks_bp
    from admin_web.calls import bp as calls_bp
    from admin_web.dashboard import bp as dashboard_bp
    from admin_web.groups import bp as groups_bp
    from admin_web.queues import bp as queues_bp
    from admin_web.voicemails import bp as voicemails_bp
    from admin_web.flows import bp as flows_bp
    from admin_web.numbers import bp as numbers_bp
    from admin_web.halls import bp as halls_bp
    from admin_web.rules import bp as rules_bp
    from admin_web.holidays import bp as holidays_bp
    from admin_web.cti import bp as cti_bp
    from admin_web.desktop import bp as desktop_bp
    from admin_web.recordings import bp as recordings_bp
    from admin_web.fsdirectory import bp as fsdirectory_bp
    from admin_web.floor import bp as floor_bp
    from admin_web.reports import bp as reports_bp
    from admin_web.wallboard import bp as wallboard_bp
    from admin_web.system import bp as system_bp
    from admin_web.users import bp as users_bp
    from admin_web.orders import bp as orders_bp
    from admin_web.knowledge import bp as knowledge_bp
    from admin_web.webhooks import bp as webhooks_bp
    from admin_web.audit_log import bp as audit_log_bp
    from admin_web.skills import bp as skills_bp
    from admin_web.wfm import bp as wfm_bp
    from admin_web.schedules import bp as schedules_bp
    from admin_web.quality import bp as quality_bp

    for bp in (auth_bp, dashboard_bp, agents_bp, groups_bp, queues_bp, calls_bp, callbacks_bp, voicemails_bp,
               flows_bp, numbers_bp, halls_bp, rules_bp, holidays_bp, cti_bp, desktop_bp, recordings_bp,
               fsdirectory_bp, floor_bp, wallboard_bp, reports_bp, system_bp, users_bp, orders_bp, knowledge_bp,
               webhooks_bp, audit_log_bp, skills_bp, wfm_bp, schedules_bp, quality_bp):
        app.register_blueprint(bp)


def configure_errorhandlers(app: Flask) -> None:
    """Translated 400/403/404/500 pages."""
    from admin_web import errors

    errors.init_app(app)


def configure_template_filters(app: Flask) -> None:
    """Durations, local times, translated vocabularies, the language switcher."""
    from admin_web import filters

    filters.init_app(app)
