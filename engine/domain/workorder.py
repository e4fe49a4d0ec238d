"""A work order's life (issue 15, items 1–4; R-TKT-1): one state machine, pure, every step on the timeline.

An order is registered by an agent (during or after a call, from a voice message, by hand), reviewed (初审: passed,
or failed with the error marked and sent back to be corrected), dispatched to one or several departments (派单),
each of which accepts its part (签收), may ask for more time (延期, granted or refused), returns a part that is not
theirs (退回: the order goes back for a new dispatch, which counts against dispatch accuracy) or replies (答复).
When every part still assigned has replied, the dispatcher closes the order (办结) or sends a reply back (退回重办).
An unsatisfied follow-up (回访不满意) reopens a closed order for rectification (整改): its parts go back to their
departments. An order answered on the spot (当场答复) is closed at registration.

    registered ──pass_review──▶ reviewed ──dispatch──▶ dispatched ──(all parts replied)──▶ replied ──close──▶ closed
        ▲  └─answer_on_the_spot────────────────────────────────────────────────────────────────────────▶ closed
        └─fail_review (error marked)   ▲ (every part returned)                       send_back ◀─┘  reopen ◀─┘

Parts: dispatched → accepted → replied; a part may be returned from dispatched or accepted.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from engine.domain.errors import InvalidTransition

__all__ = ["OrderState", "PartState", "Action", "Part", "Step", "WorkOrder"]


class OrderState(str, enum.Enum):
    REGISTERED = "registered"       # 待初审
    REVIEWED = "reviewed"           # 待派单
    DISPATCHED = "dispatched"       # 承办中 (parts with the departments)
    REPLIED = "replied"             # 待办结 (every part answered)
    CLOSED = "closed"               # 已办结


class PartState(str, enum.Enum):
    DISPATCHED = "dispatched"       # 待签收
    ACCEPTED = "accepted"           # 办理中
    REPLIED = "replied"             # 已答复
    RETURNED = "returned"           # 已退回


class Action(str, enum.Enum):
    """Everything that can happen to an order: the vocabulary of its timeline."""

    REGISTER = "register"
    ANSWER_ON_THE_SPOT = "answer_on_the_spot"
    PASS_REVIEW = "pass_review"
    FAIL_REVIEW = "fail_review"
    CORRECT = "correct"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    REQUEST_EXTENSION = "request_extension"
    GRANT_EXTENSION = "grant_extension"
    REFUSE_EXTENSION = "refuse_extension"
    REPLY = "reply"
    SEND_BACK = "send_back"
    CLOSE = "close"
    REOPEN = "reopen"


# order-level moves: action -> the states it may be taken in (part actions are checked on the part)
ALLOWED: dict[Action, frozenset[OrderState]] = {
    Action.ANSWER_ON_THE_SPOT: frozenset({OrderState.REGISTERED}),
    Action.PASS_REVIEW: frozenset({OrderState.REGISTERED}),
    Action.FAIL_REVIEW: frozenset({OrderState.REGISTERED}),
    Action.CORRECT: frozenset({OrderState.REGISTERED}),
    Action.DISPATCH: frozenset({OrderState.REVIEWED, OrderState.DISPATCHED}),   # a further department too
    Action.ACCEPT: frozenset({OrderState.DISPATCHED}),
    Action.RETURN: frozenset({OrderState.DISPATCHED}),
    Action.REQUEST_EXTENSION: frozenset({OrderState.DISPATCHED}),
    Action.GRANT_EXTENSION: frozenset({OrderState.DISPATCHED}),
    Action.REFUSE_EXTENSION: frozenset({OrderState.DISPATCHED}),
    Action.REPLY: frozenset({OrderState.DISPATCHED}),
    Action.SEND_BACK: frozenset({OrderState.REPLIED}),
    Action.CLOSE: frozenset({OrderState.REPLIED}),
    Action.REOPEN: frozenset({OrderState.CLOSED}),
}
PART_ALLOWED: dict[Action, frozenset[PartState]] = {
    Action.ACCEPT: frozenset({PartState.DISPATCHED}),
    Action.RETURN: frozenset({PartState.DISPATCHED, PartState.ACCEPTED}),
    Action.REQUEST_EXTENSION: frozenset({PartState.ACCEPTED}),
    Action.GRANT_EXTENSION: frozenset({PartState.ACCEPTED}),
    Action.REFUSE_EXTENSION: frozenset({PartState.ACCEPTED}),
    Action.REPLY: frozenset({PartState.ACCEPTED}),
}


@dataclasses.dataclass
class Part:
    """One department's share of the order."""

    department: str
    state: PartState = PartState.DISPATCHED
    extension_asked: bool = False
    extensions: int = 0
    reply: str = ""


@dataclasses.dataclass(frozen=True)
class Step:
    """One line of the order's timeline: what, who, when, for which department, and the words given."""

    action: Action
    actor: str
    at: dt.datetime
    department: str = ""
    note: str = ""


@dataclasses.dataclass
class WorkOrder:
    number: str
    state: OrderState = OrderState.REGISTERED
    parts: dict[str, Part] = dataclasses.field(default_factory=dict)
    timeline: list[Step] = dataclasses.field(default_factory=list)
    review_errors: int = 0          # 初审差错: reviews failed
    misdispatches: int = 0          # parts returned as not the department's (派单准确率)
    reopened: int = 0
    on_the_spot: bool = False       # 当场答复

    @classmethod
    def register(cls, number: str, actor: str, at: dt.datetime, note: str = "") -> "WorkOrder":
        order = cls(number)
        order.timeline.append(Step(Action.REGISTER, actor, at, note=note))
        return order

    def act(self, action: Action, actor: str, at: dt.datetime, department: str = "", note: str = "") -> None:
        """Take `action`, or raise InvalidTransition saying why; on success it is on the timeline."""
        if action not in ALLOWED:
            raise InvalidTransition(f"order {self.number}: {action.value} is not a step of an order")
        if self.state not in ALLOWED[action]:
            raise InvalidTransition(f"order {self.number}: cannot {action.value} while {self.state.value}")
        if self.timeline and at < self.timeline[-1].at:
            raise InvalidTransition(f"order {self.number}: {action.value} at {at} is before its last step")
        part = self._part(action, department)
        getattr(self, f"_{action.value}")(part, department, note)
        self.timeline.append(Step(action, actor, at, department, note))

    def _part(self, action: Action, department: str) -> Part | None:
        if action not in PART_ALLOWED:
            return None
        part = self.parts.get(department)
        if part is None:
            raise InvalidTransition(f"order {self.number}: {department or 'no department'} has no part of it")
        if part.state not in PART_ALLOWED[action]:
            raise InvalidTransition(f"order {self.number}: {department} cannot {action.value} a part "
                                    f"{part.state.value}")
        return part

    # -- the steps ------------------------------------------------------------------------------------------
    def _answer_on_the_spot(self, _part, _department, _note) -> None:
        self.state, self.on_the_spot = OrderState.CLOSED, True

    def _pass_review(self, _part, _department, _note) -> None:
        self.state = OrderState.REVIEWED

    def _fail_review(self, _part, _department, note) -> None:
        if not note.strip():
            raise InvalidTransition(f"order {self.number}: a failed review must say what is wrong")
        self.review_errors += 1

    def _correct(self, _part, _department, _note) -> None:
        """The registering agent fixed what the review marked; the order waits for review again."""

    def _dispatch(self, _part, department, _note) -> None:
        if not department:
            raise InvalidTransition(f"order {self.number}: dispatch needs a department")
        current = self.parts.get(department)
        if current is not None and current.state is not PartState.RETURNED:
            raise InvalidTransition(f"order {self.number}: {department} already has it")
        self.parts[department] = Part(department)
        self.state = OrderState.DISPATCHED

    def _accept(self, part, _department, _note) -> None:
        part.state = PartState.ACCEPTED

    def _return(self, part, _department, note) -> None:
        if not note.strip():
            raise InvalidTransition(f"order {self.number}: a return must say why")
        part.state, part.extension_asked = PartState.RETURNED, False
        self.misdispatches += 1
        if all(p.state is PartState.RETURNED for p in self.parts.values()):
            self.state = OrderState.REVIEWED            # nobody holds it: dispatch again
        else:
            self._replied_if_done()

    def _request_extension(self, part, _department, note) -> None:
        if part.extension_asked:
            raise InvalidTransition(f"order {self.number}: {part.department} has already asked for more time")
        if not note.strip():
            raise InvalidTransition(f"order {self.number}: an extension request must say why")
        part.extension_asked = True

    def _grant_extension(self, part, _department, _note) -> None:
        self._answer_extension(part)
        part.extensions += 1

    def _refuse_extension(self, part, _department, _note) -> None:
        self._answer_extension(part)

    def _answer_extension(self, part) -> None:
        if not part.extension_asked:
            raise InvalidTransition(f"order {self.number}: {part.department} has not asked for more time")
        part.extension_asked = False

    def _reply(self, part, _department, note) -> None:
        if not note.strip():
            raise InvalidTransition(f"order {self.number}: a reply needs its text")
        part.state, part.reply, part.extension_asked = PartState.REPLIED, note, False
        self._replied_if_done()

    def _replied_if_done(self) -> None:
        live = [p for p in self.parts.values() if p.state is not PartState.RETURNED]
        if live and all(p.state is PartState.REPLIED for p in live):
            self.state = OrderState.REPLIED

    def _send_back(self, _part, department, note) -> None:
        self._back_to(department, note, "a reply sent back")

    def _close(self, _part, _department, _note) -> None:
        self.state = OrderState.CLOSED

    def _reopen(self, _part, department, note) -> None:
        self._back_to(department, note, "a reopened order")
        self.reopened += 1

    def _back_to(self, department: str, note: str, what: str) -> None:
        """The replied parts (or the one named) go back to their departments, accepted, to be handled again."""
        if not note.strip():
            raise InvalidTransition(f"order {self.number}: {what} must say why")
        replied = [p for p in self.parts.values() if p.state is PartState.REPLIED]
        targets = [p for p in replied if not department or p.department == department]
        if not targets:
            raise InvalidTransition(f"order {self.number}: {department or 'no department'} has replied to it")
        for part in targets:
            part.state = PartState.ACCEPTED
        self.state = OrderState.DISPATCHED
