"""The words the console shows for the work-order vocabularies (never the codes)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from engine.domain.followup import Rating, RequestType
from engine.domain.order_clocks import Urgency
from engine.domain.workorder import Action, OrderState, PartState

TYPE_LABELS = {RequestType.CONSULTATION: _l("Consultation"), RequestType.COMPLAINT: _l("Complaint"),
               RequestType.REPORT: _l("Report (tip-off)"), RequestType.HELP: _l("Request for help"),
               RequestType.SUGGESTION: _l("Suggestion")}
URGENCY_LABELS = {Urgency.GENERAL: _l("General"), Urgency.SPECIAL: _l("Special matter"),
                  Urgency.SPECIAL_URGENT: _l("Special and urgent")}
STATE_LABELS = {OrderState.REGISTERED: _l("Awaiting review"), OrderState.REVIEWED: _l("Awaiting dispatch"),
                OrderState.DISPATCHED: _l("With departments"), OrderState.REPLIED: _l("Awaiting closing"),
                OrderState.CLOSED: _l("Closed")}
PART_LABELS = {PartState.DISPATCHED: _l("Awaiting acceptance"), PartState.ACCEPTED: _l("Being handled"),
               PartState.REPLIED: _l("Replied"), PartState.RETURNED: _l("Returned")}
ACTION_LABELS = {Action.REGISTER: _l("Registered"), Action.ANSWER_ON_THE_SPOT: _l("Answered on the spot"),
                 Action.PASS_REVIEW: _l("Review passed"), Action.FAIL_REVIEW: _l("Review failed"),
                 Action.CORRECT: _l("Corrected"), Action.DISPATCH: _l("Dispatched"), Action.ACCEPT: _l("Accepted"),
                 Action.RETURN: _l("Returned as not ours"), Action.REQUEST_EXTENSION: _l("Extension requested"),
                 Action.GRANT_EXTENSION: _l("Extension granted"), Action.REFUSE_EXTENSION: _l("Extension refused"),
                 Action.REPLY: _l("Replied"), Action.SEND_BACK: _l("Reply sent back"), Action.CLOSE: _l("Closed"),
                 Action.REOPEN: _l("Reopened for rectification")}
# the buttons: what the person is about to do
DO_LABELS = {Action.PASS_REVIEW: _l("Pass review"), Action.FAIL_REVIEW: _l("Fail review"),
             Action.CORRECT: _l("Corrected, review again"), Action.DISPATCH: _l("Dispatch"),
             Action.ACCEPT: _l("Accept"), Action.RETURN: _l("Return: not ours"),
             Action.REQUEST_EXTENSION: _l("Ask for more time"), Action.GRANT_EXTENSION: _l("Grant more time"),
             Action.REFUSE_EXTENSION: _l("Refuse more time"), Action.REPLY: _l("Reply"),
             Action.SEND_BACK: _l("Send the reply back"), Action.CLOSE: _l("Close the order")}
RATING_LABELS = {Rating.SATISFIED: _l("Satisfied"), Rating.BASICALLY_SATISFIED: _l("Basically satisfied"),
                 Rating.UNSATISFIED: _l("Unsatisfied")}
ALERT_LABELS = {"special": _l("Special order: phone the department"), "reminder": _l("Deadline approaching"),
                "overdue": _l("Deadline passed"), "escalation": _l("Escalated (督办)"),
                "calendar": _l("Working calendar missing")}
SOURCE_LABELS = {"call": _l("Call"), "voicemail": _l("Voice message"), "manual": _l("Entered by hand")}
FOLLOW_UP_LABELS = {"pending": _l("To call"), "calling": _l("Calling"), "done": _l("Done"),
                    "unreachable": _l("Unreachable"), "cancelled": _l("Cancelled")}
MODE_LABELS = {"manual": _l("By an agent"), "automated": _l("Automated call")}
# what an automated follow-up call's last attempt came to (follow_ups.last_result: the switch's hang-up cause, or
# the engine's own: engine.acd.followups, engine.store.follow_up_calls); any other cause reads as "not reached"
ATTEMPT_LABELS = {"RATED": _l("Rated"), "NO_ANSWER": _l("No answer"), "NO_USER_RESPONSE": _l("No answer"),
                  "ORIGINATOR_CANCEL": _l("No answer"), "ALLOTTED_TIMEOUT": _l("No answer"),
                  "USER_BUSY": _l("Busy"), "CALL_REJECTED": _l("Rejected"),
                  "UNALLOCATED_NUMBER": _l("Number not in service"),
                  "INVALID_NUMBER_FORMAT": _l("Number cannot be dialled"), "NO_RATING": _l("Hung up before rating"),
                  "NO_NUMBER": _l("No contact number"), "TRUNK_BUSY": _l("All lines busy, waiting"),
                  "NO_FLOW": _l("Follow-up flow missing"), "ENGINE_LOST": _l("Interrupted by a restart"),
                  "ENGINE_RESTARTED": _l("Interrupted by a restart")}


def attempt_label(cause: str) -> str:
    """The words for an automated attempt's result ("" before the first attempt)."""
    if not cause:
        return ""
    return str(ATTEMPT_LABELS.get(cause, _l("Not reached")))
