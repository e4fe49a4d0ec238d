"""The processes of a failover run, each its own program as in production: the simulated switch (posting its CDRs
to the console), the console (gunicorn: the CTI API and the CDR intake), and two engines (`callcenter run
--no-sim --no-web --no-demo`) on one scratch database, one active and one waiting as hot standby."""
from __future__ import annotations

import base64
import json
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from benchmarks.load.harness import RunFailed, _env, _port_open, _stop, _tail, _wait

from .scenario import FLOWS, QUEUE_A, QUEUE_B, CALLBACK_KEY, DIRECT_DID, IVR_DID, Scenario

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CREDENTIALS = "freeswitch:bench-failover"       # the switch's user:password at the console (mod_xml_cdr)
ESL_PASSWORD = "bench-failover"                 # not the shipped ClueCon: outside --demo the engine refuses those


# ------------------------------------------------------------------ the scratch database
class ScratchDatabase:
    """SQLite in the scratch folder, or a database of its own created on the PostgreSQL server of `server_url`
    (dropped at the end unless kept)."""

    def __init__(self, work: Path, server_url: str | None):
        self.server_url = server_url
        self.name = None
        if server_url is None:
            self.url = f"sqlite:///{work / 'center.db'}"
        else:
            if not server_url.startswith("postgresql"):
                raise RunFailed(f"--database-url must be a PostgreSQL URL (postgresql+psycopg2://...), "
                                f"got {server_url.split(':', 1)[0]}")
            self.name = f"cc_failover_{uuid.uuid4().hex[:10]}"
            self.url = server_url.rsplit("/", 1)[0] + f"/{self.name}"

    def create(self) -> None:
        if self.name is None:
            return
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import DBAPIError
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        except DBAPIError as exc:
            raise RunFailed(f"could not create the scratch database on {self.server_url.split('@')[-1]}: "
                            f"{str(exc.orig).strip()[:200]}") from None
        finally:
            admin.dispose()

    def drop(self) -> None:
        if self.name is None:
            return
        from sqlalchemy import create_engine, text
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                             {"n": self.name})
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}"'))
        finally:
            admin.dispose()

    def describe(self) -> str:
        return self.url if self.name is None else f"PostgreSQL {self.url.split('@')[-1]}"


# ------------------------------------------------------------------ configuration and seeding
def agent_spec(scn: Scenario) -> list[dict]:
    """The agents as seed_db.py takes them (employee_no F<ext>, console user f<ext> with password f<ext>)."""
    return [{"extension": ext, "employee_no": f"F{ext}", "username": f"f{ext}", "password": f"f{ext}",
             "skills": scn.skills(i)} for i, ext in enumerate(scn.extensions())]


def write_flows(work: Path) -> Path:
    folder = work / "flows"
    folder.mkdir(exist_ok=True)
    for name, text in FLOWS.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def seed(work: Path, db_url: str, scn: Scenario) -> None:
    spec = {"database_url": db_url, "agents": agent_spec(scn),
            "queues": [{"code": QUEUE_A, "ring_timeout_s": scn.ring_timeout_s, "wrap_up_s": scn.wrap_up_s,
                        "callback_key": CALLBACK_KEY},
                       {"code": QUEUE_B, "ring_timeout_s": scn.ring_timeout_s, "wrap_up_s": scn.wrap_up_s}],
            "numbers": {IVR_DID: "fo_ivr", DIRECT_DID: "fo_direct"}}
    done = subprocess.run([sys.executable, str(HERE / "seed_db.py"), json.dumps(spec)], capture_output=True,
                          text=True, env=_env(PROJECT_ROOT), cwd=str(work), timeout=180)
    if done.returncode:
        raise RunFailed(f"seeding the database failed:\n{done.stderr[-2000:]}")


def engine_env(work: Path, db_url: str, esl_port: int, web_port: int) -> dict[str, str]:
    """The CALLCENTER_* settings every process of the run shares (secrets of the run's own: the engine and the
    console refuse the shipped ones outside --demo, and want a Fernet key to seal the recordings with)."""
    return _env(PROJECT_ROOT, {
        "CALLCENTER_WEB_SECRET_KEY": secrets.token_hex(32),
        "CALLCENTER_KEYS_RECORDINGS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii"),
        "CALLCENTER_KEYS_DATA": base64.urlsafe_b64encode(secrets.token_bytes(64)).decode("ascii"),
        "CALLCENTER_ESL_HOST": "127.0.0.1", "CALLCENTER_ESL_PORT": str(esl_port),
        "CALLCENTER_ESL_PASSWORD": ESL_PASSWORD, "CALLCENTER_DATABASE_URL": db_url,
        "CALLCENTER_PATHS_FLOWS_DIR": str(work / "flows"),
        "CALLCENTER_PATHS_PROMPTS_DIR": str(PROJECT_ROOT / "ivr_flows" / "prompts"),
        "CALLCENTER_PATHS_RECORDINGS_DIR": str(work / "recordings"),
        "CALLCENTER_WEB_BIND": f"127.0.0.1:{web_port}", "CALLCENTER_WEB_WORKERS": "1",
        "CALLCENTER_WEB_DIRECTORY_CREDENTIALS": CREDENTIALS})


# ------------------------------------------------------------------ the switch and the console
def start_console(work: Path, env: dict, web_port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "engine", "web"], env=env, cwd=str(work),
                            stdout=open(work / "web.log", "wb"), stderr=subprocess.STDOUT)
    _wait(lambda: _port_open(web_port), 60, "the console to listen", proc, work / "web.log")
    return proc


def start_switch(work: Path, env: dict, esl_port: int, ctl_port: int, web_port: int) -> subprocess.Popen:
    args = [sys.executable, "-m", "engine.fsim", "--host", "127.0.0.1", "--port", str(esl_port),
            "--password", ESL_PASSWORD, "--control-port", str(ctl_port),
            "--dialplan-dir", str(PROJECT_ROOT / "dialplans"), "--time-scale", "1", "--log-level", "WARNING",
            "--xml-cdr-url", f"http://127.0.0.1:{web_port}/freeswitch/cdr", "--xml-cdr-cred", CREDENTIALS]
    return subprocess.Popen(args, env=env, cwd=str(work), stdout=open(work / "sim.log", "wb"),
                            stderr=subprocess.STDOUT)


# ------------------------------------------------------------------ the engines
class Engine:
    """One `callcenter run --no-sim --no-web --no-demo` process, restarted after each kill; its log is appended
    to across starts, and `text()` reads what the current start wrote."""

    def __init__(self, name: str, env: dict, work: Path):
        self.name, self.env, self.work = name, env, work
        self.log = work / f"engine-{name}.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._offset = 0

    def start(self) -> None:
        self.starts += 1
        out = open(self.log, "ab")
        out.write(f"\n===== bench-failover: start {self.starts} of engine {self.name} at {time.time():.3f} "
                  f"=====\n".encode())
        out.flush()
        self._offset = out.tell()
        self.proc = subprocess.Popen([sys.executable, "-m", "engine", "run", "--no-sim", "--no-web", "--no-demo"],
                                     stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=str(self.work))
        out.close()

    def text(self) -> str:
        try:
            with open(self.log, "rb") as f:
                f.seek(self._offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def wait_for(self, line: str, timeout: float, what: str) -> None:
        _wait(lambda: line in self.text(), timeout, f"engine {self.name} {what}", self.proc, self.log)

    def kill(self) -> float:
        """SIGKILL; returns the moment the signal was sent."""
        at = time.time()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        return at

    def stop(self) -> None:
        _stop(self.proc, 20)

    def tail(self, lines: int = 15) -> str:
        return _tail(self.log, lines)
