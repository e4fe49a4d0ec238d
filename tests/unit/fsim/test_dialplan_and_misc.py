"""Unit tests: dialplan interpreter, dialstring parsing, causes, traffic sampling."""
import os
import random
import textwrap

from engine.fsim.apps import split_args
from engine.fsim.causes import q850, str2cause
from engine.fsim.dialplan import Dialplan
from engine.fsim.originate import parse_dialstring, tokenize
from engine.fsim.traffic import TrafficGenerator, load_profile, lognormal

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class FakeChan:
    def __init__(self, dest):
        self.profile = {"Destination-Number": dest, "Caller-ID-Number": "1000"}
        self.variables = {}


def test_shipped_dialplan_routes_dids_and_rejects_others():
    dp = Dialplan(os.path.join(REPO, "dialplans"))
    assert dp.route("public", FakeChan("12366")) == [("set", "cc_did=12366"), ("set", "park_after_bridge=true"),
                                                     ("park", "")]
    assert dp.route("public", FakeChan("ab")) == []
    assert dp.route("default", FakeChan("12366")) == []


def test_dialplan_continue_and_anti_actions(tmp_path):
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "a.xml").write_text(textwrap.dedent("""
        <include>
          <extension name="tag" continue="true">
            <condition field="destination_number" expression="^(9\\d+)$">
              <action application="set" data="x=$1"/>
              <anti-action application="set" data="x=none"/>
            </condition>
          </extension>
          <extension name="park"><condition field="destination_number" expression="^\\d+$">
            <action application="park"/></condition></extension>
        </include>"""))
    dp = Dialplan(str(tmp_path))
    assert dp.route("public", FakeChan("9501")) == [("set", "x=9501"), ("park", "")]
    assert dp.route("public", FakeChan("1234")) == [("set", "x=none"), ("park", "")]


def test_dialstring_parsing():
    g, legs = parse_dialstring("{origination_uuid=u1,origination_caller_id_name='Doe, John'}[leg_timeout=5]user/1001"
                               "|user/1002@d")
    assert g == [("origination_uuid", "u1"), ("origination_caller_id_name", "Doe, John")]
    assert legs == [([("leg_timeout", "5")], "user/1001"), ([], "user/1002@d")]
    assert tokenize("{a=b c}user/1 &park() XML default 'My Name' 1000 20") == [
        "{a=b c}user/1", "&park()", "XML", "default", "'My Name'", "1000", "20"]


def test_app_args_quotes():
    assert split_args("1 1 3 3000 # a.wav '' var \\d") == ["1", "1", "3", "3000", "#", "a.wav", "", "var", "\\d"]


def test_causes():
    assert q850("NORMAL_CLEARING") == 16 and q850("USER_BUSY") == 17 and q850("NO_ANSWER") == 19
    assert str2cause("user_busy") == "USER_BUSY" and str2cause("17") == "USER_BUSY" and str2cause("") == \
        "NORMAL_CLEARING"


def test_traffic_profile_and_samples():
    prof = load_profile()
    assert prof[0] == ("08:00", 150) and len(prof) == 20
    rng = random.Random(1)
    xs = [lognormal(rng, 280.0) for _ in range(20000)]
    assert abs(sum(xs) / len(xs) - 280.0) < 10
    gen = TrafficGenerator(sim=None, seed=3)
    choices = [gen.caller()[0] for _ in range(5000)]
    assert abs(choices.count("1") / 5000 - 0.55 * 0.95) < 0.03 and 0.03 < choices.count("") / 5000 < 0.07
