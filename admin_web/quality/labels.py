"""The words of quality inspection: why a call was sampled, a review's state, the appeal's decision, and every
refusal of engine.domain.quality (by its code), so that no code or English engine message reaches a Chinese page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from engine.domain.quality import Decision, QualityError, Reason, ReviewState

REASON_LABELS = {
    Reason.COMPLAINT: _l("complaint or report order"), Reason.UNSATISFIED: _l("unsatisfied rating"),
    Reason.LONG_CALL: _l("long call"), Reason.SHORT_CALL: _l("short call"), Reason.LONG_HOLD: _l("long hold"),
    Reason.TRANSFER: _l("transferred"), Reason.RANDOM: _l("random draw"), Reason.MANUAL: _l("added by hand"),
}
STATE_LABELS = {
    ReviewState.ASSIGNED: _l("to inspect"), ReviewState.SCORED: _l("scored"),
    ReviewState.APPEALED: _l("appealed, awaiting second review"), ReviewState.DECIDED: _l("appeal decided"),
}
DECISION_LABELS = {Decision.UPHELD: _l("score upheld"), Decision.REVISED: _l("score revised")}
DEFAULT_CATEGORIES = (_l("Service attitude"), _l("Business knowledge"), _l("Technical skill"),
                      _l("Recording standards"))

REFUSALS = {
    "no_scored_item": _l("A form needs at least one scored item."),
    "item_unnamed": _l("Every item needs a category and a name."),
    "item_max": _l("Item %(item)s: a scored item needs a maximum above 0 points."),
    "item_weight": _l("Item %(item)s: the weight cannot be negative."),
    "weights_zero": _l("At least one scored item needs a weight above 0."),
    "item_unknown": _l("An item that is not on this form was scored."),
    "not_fatal": _l("Item %(item)s is not a fatal item."),
    "item_unscored": _l("Item %(item)s is not scored yet."),
    "points_range": _l("Item %(item)s: the points must be between 0 and %(max)s."),
    "no_inspector": _l("The plan has no inspector: choose at least one."),
    "form_unusable": _l("The plan's form is retired or has no items."),
    "plan_inactive": _l("The plan is not active: make it active to draw."),
    "already_inspected": _l("This call is being inspected already."),
    "recording_unusable": _l("Only a complete recording of a call an agent answered can be inspected."),
    "not_open": _l("This review can no longer be changed."),
    "not_your_review": _l("This call is assigned to another inspector."),
    "comment_empty": _l("Write the comment first."),
    "mark_negative": _l("The time mark must be within the recording."),
    "appeal_reason": _l("Say why you appeal."),
    "appealed_before": _l("This review was appealed already: an appeal is allowed once."),
    "not_scored": _l("Only a scored review can be appealed."),
    "appeal_late": _l("The time to appeal (7 days after the score) is over."),
    "not_appealed": _l("There is no open appeal on this review."),
    "same_reviewer": _l("The appeal must be decided by someone other than the inspector who scored the call."),
    "decision_note": _l("Write the reason for the decision."),
}


def refusal(exc: QualityError) -> str:
    """The refusal in the user's language."""
    words = REFUSALS.get(exc.code)
    if words is None:
        return str(_l("The request was refused."))
    detail = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in exc.detail.items()}
    return str(words) % detail if detail else str(words)
