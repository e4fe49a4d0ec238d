"""The FreeSWITCH overlay installs on a stock FreeSWITCH exactly as the README says (issue 16).

The README's commands run against a copy of FreeSWITCH's stock configuration (../shared/freeswitch-vanilla-conf:
conf/vanilla of FreeSWITCH 1.11.3-dev, read from there, never copied into this repository), and the result is read
the way FreeSWITCH reads it (tests/unit/config/fsconf.py: preprocessor, directory, ACLs, XML dialplan).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.demo import number_plan
from tests.shared_data import shared_path
from tests.unit.config.fsconf import Configuration, numbers_matching

REPO = Path(__file__).resolve().parents[3]
VANILLA = shared_path("freeswitch-vanilla-conf", "CALLCENTER_FS_VANILLA_CONF")
README = REPO / "README.md"
AGENTS_FILE = REPO / "conf" / "freeswitch" / "directory" / "default" / "callcenter_agents.xml"
CONF_LINE = 'CONF=$(fs_cli -x "global_getvar conf_dir")'
# what would stop or restart mod_event_socket (and so drop every ESL client, the engine included)
RESTARTS_EVENT_SOCKET = re.compile(r"mod_event_socket|fsctl\s+(shutdown|restart)|\bshutdown\b|systemctl|"
                                   r"service\s+freeswitch|/etc/init\.d", re.I)

pytestmark = pytest.mark.skipif(not (VANILLA / "freeswitch.xml").is_file(),
                                reason=f"FreeSWITCH's stock configuration is not at {VANILLA}")


def readme_steps() -> list[str]:
    """The command lines of the first sh block of the README's section on a real FreeSWITCH."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Running against a real FreeSWITCH"):]
    section = section[:section.index("\n## ", 1)]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the README's section has no sh block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def run_readme(conf: Path, *extra: str) -> list[str]:
    """Run the README's steps on `conf` (the install line as written, `$CONF` set as fs_cli would answer); returns the
    fs_cli commands the README then gives, after checking install.py printed the same."""
    steps = readme_steps()
    assert steps[0] == CONF_LINE
    installs = [s for s in steps if "install.py" in s]
    assert installs == ['python3 conf/freeswitch/install.py "$CONF"'], steps
    fs_cli = [s for s in steps if s.startswith("fs_cli ")]
    assert len(steps) == 2 + len(fs_cli), f"a step the test does not know: {steps}"
    env = dict(os.environ, CONF=str(conf), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", "-c", " ".join([installs[0], *extra])], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.split("Apply to the running FreeSWITCH:\n", 1)[1].splitlines()
    printed = [line.strip() for line in printed if line.strip()]
    if not extra:
        assert printed == fs_cli, "install.py prints other commands than the README lists"
    return printed


@pytest.fixture
def stock(tmp_path) -> Path:
    conf = tmp_path / "conf"
    shutil.copytree(VANILLA, conf)
    return conf


@pytest.fixture
def installed(stock) -> Path:
    run_readme(stock)
    return stock


def overlay_passwords() -> dict[str, str]:
    users = re.findall(r'<user id="(\d+)">\s*<params>\s*<param name="password" value="([^"]+)"/>',
                       AGENTS_FILE.read_text(encoding="utf-8"))
    assert len(users) == 12
    return dict(users)


def password(user) -> str | None:
    return next((p.get("value") for p in user.iter("param") if p.get("name") == "password"), None)


def test_copying_the_agents_file_next_to_the_stock_users_would_leave_the_stock_passwords(stock):
    """What the issue found on FreeSWITCH 1.11, reproduced by the model the other tests use: the stock 1001.xml ...
    1012.xml sort first and win, so the file's passwords never apply."""
    shutil.copy(AGENTS_FILE, stock / "directory" / "default")
    fs = Configuration(stock)
    ids = fs.defined_users()
    assert sorted({i for i in ids if ids.count(i) > 1}) == sorted(overlay_passwords())
    assert password(fs.locate_user("1001")) == "1234"


def test_no_directory_user_is_defined_twice_and_every_agent_registers_with_the_overlay_password(installed):
    fs = Configuration(installed)
    ids = fs.defined_users()
    assert [i for i in set(ids) if ids.count(i) > 1] == []
    installed_passwords = {ext: password(fs.locate_user(ext)) for ext in overlay_passwords()}
    for extension, shipped in overlay_passwords().items():
        # this deployment's own password, never the one published in the repository
        assert installed_passwords[extension] not in (shipped, "1234", None), extension
        assert len(installed_passwords[extension]) >= 16
    assert len(set(installed_passwords.values())) == 12
    run_readme(installed)                                       # a second run keeps them
    assert {ext: password(Configuration(installed).locate_user(ext)) for ext in overlay_passwords()} == \
        installed_passwords
    moved = sorted(p.name for p in (installed / "callcenter-replaced" / "directory" / "default").iterdir())
    assert moved == [f"{ext}.xml" for ext in sorted(overlay_passwords())]
    assert password(fs.locate_user("1000")) == "1234"          # the stock users the agents do not need stay


def test_with_the_console_serving_the_accounts_no_static_agent_user_is_left_to_fall_back_on(installed):
    """Seen on FreeSWITCH 1.11 with --xml-curl: for an agent the console answers "not found" (disabled) or while the
    console is down, FreeSWITCH falls back to the static users, and the static password registered."""
    run_readme(installed, "--xml-curl")
    fs = Configuration(installed)
    assert set(fs.defined_users()).isdisjoint(overlay_passwords())     # only the stock groups' pointers name them
    assert all(password(fs.locate_user(ext)) is None for ext in overlay_passwords())
    assert not (installed / "directory" / "default" / "callcenter_agents.xml").exists()
    assert (installed / "callcenter-replaced" / "directory" / "default" / "callcenter_agents.xml").is_file()


def test_every_acl_named_exists_and_the_trunk_profile_admits_only_its_trunks(installed, stock):
    fs = Configuration(installed)
    used = fs.acl_names_used()
    assert ("sofia profile callcenter_trunk apply-inbound-acl", "callcenter_trunks") in used
    assert [(who, name) for who, name in used if not fs.acl_exists(name)] == []
    # the test call from 127.0.0.1 (`IP 127.0.0.1 Rejected by acl "trunks"`, 403) gets through; others do not
    assert fs.acl_admits("callcenter_trunks", "127.0.0.1")
    assert not fs.acl_admits("callcenter_trunks", "198.51.100.7")


def test_trunk_cidrs_given_to_install_replace_the_default_and_stay_on_a_second_run(stock):
    run_readme(stock, "--trunk-cidr", "203.0.113.10", "--trunk-cidr", "198.51.100.0/24")
    run_readme(stock)
    fs = Configuration(stock)
    assert fs.acl_admits("callcenter_trunks", "203.0.113.10")
    assert fs.acl_admits("callcenter_trunks", "198.51.100.77")
    assert not fs.acl_admits("callcenter_trunks", "127.0.0.1")
    assert (stock / "autoload_configs" / "acl.conf.xml").read_text().count('name="callcenter_trunks"') == 1


def test_the_did_extension_leaves_every_other_public_extension_alone(installed):
    before, after = Configuration(VANILLA), Configuration(installed)
    checked = 0
    for ext in before.extensions("public"):
        for cond in ext.findall("condition"):
            if cond.get("field") != "destination_number":
                continue
            samples = numbers_matching(cond.get("expression"))
            assert samples, f"no number built for {ext.get('name')}: {cond.get('expression')}"
            for number in samples:
                assert before.route("public", number)[0] == ext.get("name")
                assert after.route("public", number)[0] == ext.get("name"), number
                checked += 1
    assert checked >= 5           # public_extensions, public_conference_extensions, public_did


def test_every_published_demo_number_is_parked_for_the_engine(installed):
    fs = Configuration(installed)
    for number, *_ in number_plan():
        taken_by, actions = fs.route("public", number)
        assert taken_by == "callcenter_inbound", number
        assert ("set", f"cc_did={number}") in actions and actions[-1] == ("park", "")


def test_a_did_file_left_by_the_former_instructions_is_moved_aside(stock):
    former = (REPO / "dialplans" / "public" / "zz_callcenter.xml").read_text(encoding="utf-8")
    (stock / "dialplan" / "public" / "00_callcenter.xml").write_text(former, encoding="utf-8")
    assert Configuration(stock).route("public", "5551212")[0] == "callcenter_inbound"     # it took public_did's
    run_readme(stock)
    fs = Configuration(stock)
    assert fs.route("public", "5551212")[0] == "public_did"
    assert (stock / "callcenter-replaced" / "dialplan" / "public" / "00_callcenter.xml").is_file()


def test_no_step_restarts_the_event_socket(stock):
    steps = readme_steps()
    assert [s for s in steps if RESTARTS_EVENT_SOCKET.search(s)] == []
    printed = run_readme(stock, "--xml-curl")
    assert 'fs_cli -x "reload mod_xml_curl"' in printed
    assert [s for s in printed if RESTARTS_EVENT_SOCKET.search(s)] == []


def test_mod_xml_cdr_loads_at_the_next_start_and_mod_xml_curl_only_when_asked(installed, stock):
    fs = Configuration(installed)
    assert fs.modules_loaded().count("mod_xml_cdr") == 1
    assert "mod_xml_curl" not in fs.modules_loaded()
    run_readme(installed, "--xml-curl")
    assert Configuration(installed).modules_loaded().count("mod_xml_curl") == 1


def test_the_configuration_parses_without_include_errors_and_the_trunk_profile_paces_its_media(installed, stock):
    """Seen on a real FreeSWITCH 1.11 with the overlay: the gateways include of a folder install.py had not made
    logged an error on every reloadxml; and without rtp-timer-name (mod_sofia has no default; every stock profile
    sets it) a carrier that sends no RTP froze the prompts: welcome.wav was still playing after 2.5 minutes."""
    assert Configuration(stock).include_errors == []
    assert Configuration(installed).include_errors == []
    (profile,) = [p for p in Configuration(installed).sofia_profiles() if p.get("name") == "callcenter_trunk"]
    params = {p.get("name"): p.get("value") for p in profile.findall("settings/param")}
    assert params.get("rtp-timer-name") == "soft"


def test_the_trunk_profile_has_a_port_of_its_own(installed):
    ports = {}
    for profile in Configuration(installed).sofia_profiles():
        port = next(p.get("value") for p in profile.findall("settings/param") if p.get("name") == "sip-port")
        ports.setdefault(port, set()).add(profile.get("name").removesuffix("-ipv6"))
    assert ports["5090"] == {"callcenter_trunk"}


def test_a_second_run_keeps_the_secrets_callcenter_init_wrote_and_changes_nothing_else(installed):
    from engine.first_run import Secrets, write_overlay
    new = Secrets(secret_key="k" * 64, directory_credentials="freeswitch:Own9Credential", esl_password="Own9Password")
    write_overlay(installed, new)
    snapshot = {p: p.read_bytes() for p in installed.rglob("*") if p.is_file()}
    run_readme(installed)
    assert {p: p.read_bytes() for p in installed.rglob("*") if p.is_file()} == snapshot
    fs = Configuration(installed)
    settings = {c: {p.get("name"): p.get("value") for p in fs.config(c).iter("param")}
                for c in ("event_socket.conf", "xml_cdr.conf", "xml_curl.conf")}
    assert settings["event_socket.conf"]["password"] == "Own9Password"
    assert settings["xml_cdr.conf"]["cred"] == "freeswitch:Own9Credential"
    assert settings["xml_curl.conf"]["gateway-credentials"] == "freeswitch:Own9Credential"


def test_a_directory_that_is_not_freeswitchs_is_refused_untouched(tmp_path):
    env = dict(os.environ, CONF=str(tmp_path))
    done = subprocess.run(["bash", "-c", 'python3 conf/freeswitch/install.py "$CONF"'], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "global_getvar conf_dir" in done.stderr
    assert list(tmp_path.iterdir()) == []
