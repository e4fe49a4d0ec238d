"""IVR flows (流程) and prompt files (语音提示): list with validation status, outline and diagram, upload."""
from flask import Blueprint

bp = Blueprint("flows", __name__, url_prefix="/flows")

from admin_web.flows import views  # noqa: E402,F401


@bp.app_template_filter("problem_parts")
def _problem_parts(problem: str):
    from admin_web.flows.files import problem_parts
    return problem_parts(problem)


@bp.app_template_filter("flow_problem")
def _flow_problem(text: str) -> str:
    """A loader problem in the console's language when admin_web.labels knows it; else as the loader wrote it."""
    from admin_web.labels import engine_message, engine_message_known
    return engine_message(text) if engine_message_known(text) else text
