"""Translated names of report figures, dimensions and grains (the formulas are engine.reports.figures.FORMULAS)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

FIGURE_LABELS = {
    "arrived": _l("Inbound calls"), "ivr_entered": _l("Entered IVR"),
    "requests": _l("Requests for an agent"), "queued": _l("Entered queue"), "overflow_in": _l("Overflowed in"),
    "rewaits": _l("Transferred back to a queue"),
    "on_the_spot_rate": _l("Consultations answered on the spot (当场答复)"), "work_orders": _l("Work orders"),
    "overflowed": _l("Overflowed out"), "offered": _l("Offers to agents"), "no_answer": _l("Offers not answered"),
    "answered": _l("Answered"), "answer_rate": _l("Answer rate (人工接通率)"),
    "answered_within": _l("Answered within T"), "service_level": _l("Service level (T-second answer rate)"),
    "abandoned": _l("Abandoned"), "abandoned_short": _l("Short abandons"),
    "abandoned_ringing": _l("Abandoned while ringing"), "abandon_rate": _l("Abandon rate"),
    "avg_abandon_s": _l("Average time to abandon (s)"), "callbacks": _l("Callbacks requested"),
    "voicemails": _l("Voice messages"), "released": _l("Released by the queue"),
    "cut": _l("Cut off by a system fault"), "waited": _l("Calls that waited"),
    "queue_time_s": _l("Queue time (s)"), "avg_wait_s": _l("Average wait (s)"), "asa_s": _l("ASA (s)"),
    "max_wait_s": _l("Longest wait (s)"), "talks": _l("Calls handled"), "talk_s": _l("Talk time (s)"),
    "holds": _l("Holds"), "hold_s": _l("Hold time (s)"), "wrapups": _l("Wrap-ups"), "wrap_s": _l("Wrap-up time (s)"),
    "handle_s": _l("Handling time (s)"), "aht_s": _l("AHT (s)"), "transfers": _l("Transfers"),
    "transfer_s": _l("Transfer time (s)"), "rated": _l("Valid ratings"), "satisfied": _l("Satisfied ratings"),
    "satisfaction_rate": _l("Satisfaction (满意率)"), "rating_rate": _l("Rating rate (参评率)"),
    "dialed": _l("Outbound calls"), "dialed_answered": _l("Outbound calls connected"),
    "dialed_talk_s": _l("Outbound talk time (s)"), "ended": _l("Calls ended"),
    "trunk_busy": _l("All-busy count"), "trunk_freed": _l("All-busy periods ended"),
    "trunk_busy_s": _l("All-busy time (s)"), "trunk_busy_avg_s": _l("Average all-busy time (s)"),
    "trunk_busy_max_s": _l("Longest all-busy time (s)"),
    "logged_in_s": _l("Logged-in time (s)"),
    "not_ready_count": _l("Not-ready count"), "not_ready_total_s": _l("Not-ready total (s)"),
    "not_ready_avg_s": _l("Not-ready average (s)"), "not_ready_max_s": _l("Not-ready longest (s)"),
    "idle_count": _l("Idle count"), "idle_total_s": _l("Idle total (s)"), "idle_avg_s": _l("Idle average (s)"),
    "idle_max_s": _l("Idle longest (s)"),
    "rest_count": _l("Rest count"), "rest_total_s": _l("Rest total (s)"), "rest_avg_s": _l("Rest average (s)"),
    "rest_max_s": _l("Rest longest (s)"),
    "ready_idle_count": _l("Ready-idle count"), "ready_idle_total_s": _l("Ready-idle total (s)"),
    "ready_idle_avg_s": _l("Ready-idle average (s)"), "ready_idle_max_s": _l("Ready-idle longest (s)"),
    "handling_state_s": _l("Handling state time (s)"), "occupancy": _l("Occupancy"),
    "utilization": _l("Utilization"),
    "province": _l("Province"), "city": _l("City"), "calls": _l("Calls"), "share": _l("Share"),
}

DIMENSION_LABELS = {"all": _l("All"), "queue": _l("Queue"), "skill": _l("Skill"), "hall": _l("Hall"),
                    "agent": _l("Agent"), "group": _l("Group"), "direction": _l("Direction"),
                    "trunk": _l("Trunk group")}
GRAIN_LABELS = {"interval": _l("15 minutes"), "hour": _l("Hour"), "day": _l("Day"), "month": _l("Month"),
                "quarter": _l("Quarter"), "year": _l("Year"), "range": _l("Whole range")}
REPORT_TITLES = {"service": _l("Queues and service"), "callers": _l("Caller statistics"),
                 "traffic": _l("Traffic and trunks"), "agents": _l("Agent statistics"),
                 "regions": _l("Caller regions")}
ABANDON_LABELS = {"include": _l("Count abandons as not answered in time"),
                  "exclude": _l("Leave all abandons out"),
                  "exclude_short": _l("Leave short abandons out")}
ANSWER_RATE_ABANDON_LABELS = {"include": _l("Count abandons as not answered"),
                              "exclude": _l("Leave all abandons out"),
                              "exclude_short": _l("Leave short abandons out")}
# What each stored rating code means (engine.reports.definitions.RATING_MEANINGS), for the definitions form.
RATING_LABELS = {1: _l("1 very dissatisfied (非常不满意)"), 2: _l("2 dissatisfied (不满意)"),
                 3: _l("3 average (一般, the first survey's key 3)"), 4: _l("4 satisfied (满意)"),
                 5: _l("5 very satisfied (非常满意)"), 6: _l("6 basically satisfied (基本满意, key 3 now)")}
ROUNDING_LABELS = {"proportional": _l("Proportional (0.4 points below deducts 0.4 × the rate)"),
                   "whole_points": _l("Whole percentage points only")}

# The formulas of engine.reports.figures.FORMULAS (same keys, same meaning), translated for the pages.
FORMULA_LABELS = {
    "requests": _l("queued entries; a call an agent sent back to a queue counts once (per queue: + calls overflowed "
                   "or sent back into it)"),
    "rewaits": _l("calls an agent sent back to a queue (queued again): no new requests; their second wait counts per "
                  "queue, skill, agent and group, not in totals"),
    "answered": _l("answered entries"),
    "answer_rate": _l("answered / (requests, less abandons per the treatment chosen for the answer rate)"),
    "answered_within": _l("answered with wait ≤ T"),
    "service_level": _l("answered within T / (requests, less abandons per the treatment chosen, less callers cut "
                        "off by a fault)"),
    "cut": _l("callers cut off while queued by a switch failure or an engine stop (never counted as abandoned)"),
    "abandoned": _l("abandoned entries (the caller hung up while queued or while an agent's phone rang)"),
    "abandoned_short": _l("abandoned with wait ≤ S"),
    "abandoned_ringing": _l("abandoned while an agent's phone rang"),
    "abandon_rate": _l("abandoned / requests"),
    "avg_abandon_s": _l("total wait of abandoned calls / abandoned"),
    "avg_wait_s": _l("total wait of calls that left the queue (answered, abandoned, callback, voice message, "
                     "released) / their number"),
    "asa_s": _l("total wait of answered calls / answered"),
    "max_wait_s": _l("longest wait of a call that left the queue"),
    "talk_s": _l("conversation time (talk_ended durations) less hold time"),
    "hold_s": _l("hold time (retrieved durations)"),
    "wrap_s": _l("after-call work (wrap_up_ended durations)"),
    "handle_s": _l("talk + hold + wrap-up"),
    "aht_s": _l("(talk + hold + wrap-up) / conversations ended"),
    "satisfaction_rate": _l("satisfied ratings / valid ratings"),
    "rating_rate": _l("valid ratings / answered"),
    "occupancy": _l("handling time (ringing, talking, on hold, wrap-up) / (handling time + ready time)"),
    "utilization": _l("handling time / logged-in time"),
}

# The figures in seconds as the page names them: shown as h:mm:ss there, so without the "(s)" of the exports.
DURATION_LABELS = {
    "aht_s": _l("AHT"), "asa_s": _l("ASA"), "avg_abandon_s": _l("Average time to abandon"),
    "avg_wait_s": _l("Average wait"), "dialed_talk_s": _l("Outbound talk time"), "handle_s": _l("Handling time"),
    "hold_s": _l("Hold time"), "idle_avg_s": _l("Idle average"), "idle_max_s": _l("Idle longest"),
    "idle_total_s": _l("Idle total"), "logged_in_s": _l("Logged-in time"), "max_wait_s": _l("Longest wait"),
    "not_ready_avg_s": _l("Not-ready average"), "not_ready_max_s": _l("Not-ready longest"),
    "not_ready_total_s": _l("Not-ready total"), "queue_time_s": _l("Queue time"),
    "ready_idle_avg_s": _l("Ready-idle average"), "ready_idle_max_s": _l("Ready-idle longest"),
    "ready_idle_total_s": _l("Ready-idle total"), "rest_avg_s": _l("Rest average"),
    "rest_max_s": _l("Rest longest"), "rest_total_s": _l("Rest total"), "talk_s": _l("Talk time"),
    "transfer_s": _l("Transfer time"), "trunk_busy_avg_s": _l("Average all-busy time"),
    "trunk_busy_max_s": _l("Longest all-busy time"), "trunk_busy_s": _l("All-busy time"),
    "wrap_s": _l("Wrap-up time"),
}
# The column sets of admin_web.reports.tables.COLUMN_GROUPS.
GROUP_LABELS = {"calls": _l("Call volumes"), "times": _l("Waiting and handling times"),
                "routing": _l("Transfers, overflow and ratings"), "traffic": _l("Traffic and trunks"),
                "states": _l("Logged-in, not-ready and idle time"), "rest": _l("Rest and ready-idle time"),
                "handled": _l("Handling by the agents"), "quality": _l("Rings, occupancy and ratings"),
                "regions": _l("Caller regions")}


def page_label(column: str):
    """A column's name on the report page (durations without their unit: the page shows them as h:mm:ss)."""
    return DURATION_LABELS.get(column) or FIGURE_LABELS.get(column, column)
