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


def test_the_shipped_survey_maps_its_keys_to_ratings_that_keep_stored_ones_meaningful():
    """非常满意 5, 满意 4, 基本满意 3, 不满意 2, 非常不满意 1 (survey.wav); key 3 stores 6, because a 3 stored by the
    first survey (一般) must keep meaning 一般 (engine.reports.definitions.RATING_MEANINGS)."""
    flows, _ = load_flows(PROJECT_ROOT / "ivr_flows", PROJECT_ROOT / "ivr_flows" / "prompts")
    for name in ("tax_main", "tax_hours"):
        survey = flows[name].nodes["survey"]
        assert dict(survey.ratings) == {"5": 5, "4": 4, "3": 6, "2": 2, "1": 1}, name
        assert survey.keys == "12345" and survey.rating_of("3") == 6 and survey.rating_of("9") is None
    script = (PROJECT_ROOT / "ivr_flows" / "prompts" / "make_prompts.sh").read_text(encoding="utf-8")
    assert "非常满意请按5，满意请按4，基本满意请按3，不满意请按2，非常不满意请按1" in script


@pytest.mark.parametrize("ratings,message", [
    ({"1": 1}, "at least two keys"),
    ({"12": 1, "2": 2}, "single keys 0-9"),
    ({"1": 1, "2": 10}, "rating 0-9"),
    ({"1": 4, "2": 4}, "store the same rating"),
])
def test_bad_survey_rating_maps_are_reported(ratings, message):
    data = {"name": "f", "start": "s", "nodes": {
        "s": {"type": "survey", "prompt": "x", "invalid_prompt": "y", "ratings": ratings, "next": "h"},
        "h": {"type": "hangup"}}}
    assert any(message in p for p in problems_of(data))
    both = {**data, "nodes": {**data["nodes"], "s": {**data["nodes"]["s"], "ratings": {"1": 1, "2": 2}, "low": 1}}}
    assert any("not both" in p for p in problems_of(both))


def test_menus_and_collections_say_no_input_by_default_or_what_the_flow_names():
    prompts = PROJECT_ROOT / "ivr_flows" / "prompts"
    menu = parse_flow(GOOD, "f.yaml", prompts_dir=prompts).node("m")
    assert (menu.no_input_prompt, menu.invalid_prompt, menu.tries) == ("no_input.wav", "invalid.wav", 3)
    assert (prompts / "no_input.wav").is_file() and (prompts / "16000" / "no_input.wav").is_file()
    own = {**GOOD, "nodes": {**GOOD["nodes"], "m": {**GOOD["nodes"]["m"], "no_input_prompt": "goodbye.wav",
                                                    "tries": 2}}}
    menu = parse_flow(own, "f.yaml", prompts_dir=prompts).node("m")
    assert (menu.no_input_prompt, menu.tries) == ("goodbye.wav", 2)
    collect = parse_flow({"name": "c", "start": "id", "nodes": {
        "id": {"type": "collect", "prompt": "enter_id.wav", "invalid_prompt": "invalid.wav", "variable": "tin",
               "next": "q", "on_failure": "q"},
        "q": {"type": "queue", "queue": "etax"}}}, "c.yaml", prompts_dir=prompts).node("id")
    assert collect.no_input_prompt == "no_input.wav"


def test_a_missing_or_malformed_no_input_prompt_is_reported():
    missing = {**GOOD, "nodes": {**GOOD["nodes"], "m": {**GOOD["nodes"]["m"], "no_input_prompt": "nosuch.wav"}}}
    assert any("node m: prompt file 'nosuch.wav' not found" in p
               for p in problems_of(missing, prompts_dir=PROJECT_ROOT / "ivr_flows" / "prompts"))
    spaced = {**GOOD, "nodes": {**GOOD["nodes"], "m": {**GOOD["nodes"]["m"], "no_input_prompt": "a b.wav"}}}
    assert "bad.yaml: node m: no_input_prompt must be a prompt file name without spaces" in problems_of(spaced)
