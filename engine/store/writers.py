"""What the store writer does with each of the core's store commands: one function per command type, each writing
its command in the caller's session. engine.store.batch.write_batch writes most kinds in bulk and falls back to
these for the rest (and for a batch the bulk path refuses); the engine wires them with the real recording-file
inspection (engine.recording.inspect), tests and benchmarks with their own."""
from __future__ import annotations

from collections.abc import Callable

from engine.domain import commands as c
from engine.store import calllog, cdrs, follow_up_calls, repos, switch_status


def per_command_writers(inspect: Callable) -> dict[type, Callable]:
    """{store command type: writer(session, command)}; `inspect(path)` tells a stopped recording's file facts."""
    return {
        c.LogCallEvent: calllog.append,
        c.SaveAgentState: lambda session, cmd: repos.save_agent_state(session, cmd.change),
        c.SaveCallRecord: repos.save_call_record,
        c.SaveOffer: repos.save_offer,
        c.SaveRequestResult: repos.save_request_result,
        c.SaveCallback: repos.save_callback,
        c.SaveVoicemail: repos.save_voicemail,
        c.SaveSurveyResult: repos.save_survey_result,
        c.SaveQueueStatus: repos.save_queue_status,
        c.SaveTrunkStatus: repos.save_trunk_status,
        c.SaveSwitchStatus: switch_status.save_switch_status,
        c.SaveCdrReconciled: cdrs.save_cdr_reconciled,
        c.SaveFollowUpResult: follow_up_calls.save_follow_up_result,
        c.SaveRecording: lambda session, cmd: repos.save_recording(session, cmd, inspect),
    }
