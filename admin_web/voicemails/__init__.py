"""Voice messages (语音留言): the list with a player, and marking a message handled."""
from flask import Blueprint

bp = Blueprint("voicemails", __name__, url_prefix="/voicemails")

from admin_web.voicemails import views  # noqa: E402,F401
