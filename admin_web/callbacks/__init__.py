"""Callbacks (回拨): callers who left the queue asking to be called back, and how the engine's attempts went."""
from flask import Blueprint

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")

from admin_web.callbacks import views  # noqa: E402,F401
