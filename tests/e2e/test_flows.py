"""Flows change while the engine runs: a new version serves new calls, a broken file is refused and the last
valid version keeps serving — through the real ESL path."""
from __future__ import annotations

import os

from engine.domain.states import CallOutcome
from tests.e2e.conftest import wait_until
from tests.e2e.test_walking_skeleton import record_of


def test_editing_a_flow_takes_effect_without_restart_and_a_broken_edit_is_refused(sim, engine, engine_config,
                                                                                  db_url):
    path = engine_config.flows_dir / "tax_main.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("default: to_policy", "default: to_social"), encoding="utf-8")
    os.utime(path, (1, 1))          # make sure the modification is seen even within the same second
    wait_until(lambda: engine.center.floor.flows["tax_main"].node("menu").default == "to_social", 10,
               "the edited flow")
    uuid = sim.place_call(did="12366", digits="", talk_time=1.0)          # presses nothing: the new default
    rec = wait_until(lambda: record_of(db_url, uuid), 40, "the call record")
    assert rec.outcome is CallOutcome.ANSWERED and rec.ivr_path.endswith("queue:social_fee")
    path.write_text("name: tax_main\nstart: nowhere\nnodes: {}\n", encoding="utf-8")
    os.utime(path, (2, 2))
    wait_until(lambda: "tax_main.yaml" in engine.flow_errors, 10, "the broken flow to be refused")
    assert engine.center.floor.flows["tax_main"].node("menu").default == "to_social"
    uuid = sim.place_call(did="12366", digits="2", talk_time=1.0)
    rec = wait_until(lambda: record_of(db_url, uuid), 40, "a call on the last valid version")
    assert rec.outcome is CallOutcome.ANSWERED and rec.ivr_path.endswith("queue:etax")
