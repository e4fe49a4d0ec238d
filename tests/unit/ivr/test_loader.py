"""Flow validation: every problem names the file, the node and what is wrong; the shipped flows are valid."""
from pathlib import Path

import pytest

from engine.config import PROJECT_ROOT
from engine.ivr.loader import FlowError, load_flows, parse_flow

GOOD = {"name": "f", "start": "a", "nodes": {
    "a": {"type": "play", "prompt": "welcome.wav", "next": "m"},
    "m": {"type": "menu", "prompt": "tax_menu.wav", "invalid_prompt": "invalid.wav", "choices": {"1": "q"},
          "default": "q"},
    "q": {"type": "queue", "queue": "tax_policy"}}}


def problems_of(data, **kw):
    with pytest.raises(FlowError) as err:
        parse_flow(data, "bad.yaml", **kw)
    return err.value.problems


def test_shipped_flows_are_valid_against_shipped_prompts():
    flows, errors = load_flows(PROJECT_ROOT / "ivr_flows", PROJECT_ROOT / "ivr_flows" / "prompts",
                               ["tax_policy", "etax", "social_fee"])
    assert errors == {} and {"tax_main", "citizen_main"} <= set(flows)


def test_dangling_links_unknown_types_and_unreachable_nodes_are_each_reported():
    data = {"name": "f", "start": "a", "nodes": {
        "a": {"type": "play", "prompt": "x.wav", "next": "nowhere"},
        "b": {"type": "dance"},
        "c": {"type": "queue", "queue": "q"}}}
    problems = problems_of(data)
    assert "bad.yaml: node a: leads to unknown node 'nowhere'" in problems
    assert any(p.startswith("bad.yaml: node b: unknown node type 'dance'") for p in problems)
    assert "bad.yaml: node c: unreachable from start 'a'" in problems


def test_missing_prompts_unknown_queues_and_bad_menus_are_reported():
    data = {**GOOD, "nodes": {**GOOD["nodes"], "m": {**GOOD["nodes"]["m"], "choices": {"12": "q"}}}}
    problems = problems_of(data, prompts_dir=PROJECT_ROOT / "ivr_flows" / "prompts", queues=["etax"])
    assert any("node m: choice keys must be single DTMF keys" in p for p in problems)
    assert "bad.yaml: node q: queue 'tax_policy' is not configured" in problems
    problems = problems_of({**GOOD, "nodes": {**GOOD["nodes"], "a": {"type": "play", "prompt": "nope.wav",
                                                                        "next": "m"}}},
                           prompts_dir=PROJECT_ROOT / "ivr_flows" / "prompts")
    assert any("node a: prompt file 'nope.wav' not found" in p for p in problems)


def test_a_loop_of_prompts_without_exit_is_reported():
    data = {"name": "f", "start": "a", "nodes": {"a": {"type": "play", "prompt": "x", "next": "b"},
                                                 "b": {"type": "play", "prompt": "y", "next": "a"}}}
    assert any("loop without exit" in p for p in problems_of(data))


def test_a_broken_file_is_rejected_and_the_valid_ones_still_load(tmp_path: Path):
    (tmp_path / "ok.yaml").write_text("name: ok\nstart: q\nnodes:\n  q: {type: queue, queue: etax}\n")
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")
    flows, errors = load_flows(tmp_path)
    assert list(flows) == ["ok"] and list(errors) == ["broken.yaml"]
    assert errors["broken.yaml"][0].startswith("broken.yaml: cannot read flow")
