"""Workforce planning (issue 17): a day's calls per 15-minute interval forecast from the center's own history and
the agents each interval needs (Erlang C or Erlang A, with shrinkage), with the forecast's past errors."""
from flask import Blueprint

bp = Blueprint("wfm", __name__, url_prefix="/wfm")

from admin_web.wfm import views  # noqa: E402,F401
