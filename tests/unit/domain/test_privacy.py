"""Numbers where they are not sealed (logs, the audit trail) are masked."""
import logging

from engine.domain.privacy import masked, masked_target


def test_a_caller_number_is_masked_and_short_numbers_are_kept():
    assert masked("13800138000") == "138****8000"
    assert masked("+8613800138000") == "+86*******8000"
    assert masked("12366") == "12366" and masked("8001") == "8001" and masked(None) == ""
    assert masked_target("number", "075588886666") == "075*****6666" and masked_target("queue", "etax") == "etax"


def test_the_engine_logs_a_call_without_the_callers_number(caplog):
    from engine.acd.center import CallCenter
    from engine.domain.events import CallParked, DirectoryLoaded
    cc = CallCenter({}, "/prompts", new_id=lambda: "id")
    cc.handle(DirectoryLoaded((), (), {}, 0.0))
    with caplog.at_level(logging.INFO):
        cc.handle(CallParked("c1", "13800138000", "99999", "张三", True, 1.0))    # a number without a flow
    assert "138****8000" in caplog.text and "13800138000" not in caplog.text
