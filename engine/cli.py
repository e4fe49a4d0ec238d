"""The `callcenter` command: run everything, run parts (engine, web, sim), manage the database and flows."""
from __future__ import annotations

import dataclasses
import logging
import signal
import subprocess
import sys
from pathlib import Path

import click


def main() -> None:
    """Console entry point: gevent needs its monkey-patching before anything else is imported."""
    # gunicorn's master stays unpatched (its gevent workers patch themselves); a report worker computes in plain threads
    if not {"web", "worker"} & set(sys.argv[1:]):
        from gevent import monkey
        monkey.patch_all()
    cli()  # pylint: disable=no-value-for-parameter


def _config(ctx: click.Context):
    """Load the configuration or stop with a one-line message naming the bad setting."""
    from engine.config import ConfigError, load_config
    try:
        return load_config(ctx.obj.get("config_path"))
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        ctx.exit(2)


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (default conf/callcenter.toml or $CALLCENTER_CONFIG).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """Telephony-first call-center engine for FreeSWITCH."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


@cli.command()
@click.option("--sim/--no-sim", default=True, show_default=True, help="Start the simulated FreeSWITCH too.")
@click.option("--demo/--no-demo", default=True, show_default=True, help="Seed demo data and demo callers.")
@click.option("--web/--no-web", default=True, show_default=True, help="Serve the web console.")
@click.pass_context
def run(ctx: click.Context, sim: bool, demo: bool, web: bool) -> None:
    """Run the engine (and the web console, and the simulated switch with demo traffic).

    One engine is active per database: a second `callcenter run` waits as a hot standby and takes over when the
    active one stops or dies (engine.lease, engine.standby). An engine that loses its lease stops commanding the
    switch at once and exits with status 3."""
    import gevent

    from engine import sealing, standby
    from engine.bootstrap import Engine
    from engine.heartbeat import Heartbeat
    from engine.demo import DEMO_LOGIN
    from engine.lease import for_database
    config = _config(ctx)
    if not demo:
        _require_own_secrets(ctx, config)
    sealing.set_demo_mode(demo)
    stop = gevent.event.Event()
    # SIGHUP too (the terminal closed): the console and the simulated switch, in process groups of their own
    # (_start_web, _start_sim), are stopped by this process, after the engine
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        gevent.signal_handler(sig, stop.set)
    lease = for_database(config.database_url)
    _upgrade_and_seed(config, demo)
    heartbeat = Heartbeat(config.database_url, "standby").start()
    web_process = None
    if web:
        address = f"http://{_local(config.web_host)}:{config.web_port}/"
        if _serving(config.web_host, config.web_port):
            click.echo(f"Web console: {address} (already served, kept as it is)")
        else:
            web_process = _start_web(ctx, demo)
            click.echo(f"Web console: {address}  (login {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]})" if demo
                       else f"Web console: {address}")
    sim_process = None
    lost = gevent.event.Event()

    def hold_idle_connection():
        """A standby's own connection, connected and silent while it waits; returns how to close it."""
        idle = standby.idle_switch_connection(config)
        heartbeat.switch_probe = lambda: idle.connected
        return idle.stop
    try:
        while not stop.is_set():
            # the first engine takes the lease at once and starts the simulated switch before anything connects to
            # it; only an engine that must wait opens its idle connection (to the switch the active one uses)
            if not standby.wait_for_lease(lease, stop, click.echo, while_waiting=hold_idle_connection):
                break
            click.echo(f"Active engine ({lease.describe()})")
            heartbeat.become("active")
            if sim and sim_process is None:
                sim_process = _start_sim(config, demo, web)
                _wait_listening(config.esl_host, config.esl_port, sim_process, stop)
            engine = Engine(config)
            engine.start()
            heartbeat.switch_probe = lambda: engine.switch.connected
            handed_over = _serve(engine, lease, heartbeat, stop, lost, sim_process, sim, config)
            if not handed_over:
                break
            click.echo("standby again: this engine lost the switch, a standby that reaches it takes over", err=True)
            heartbeat.become("standby")
            stop.wait(standby.HANDOVER_BACKOFF_S)       # the standby takes the lease first
    finally:
        heartbeat.stop()
        lease.release()
        _terminate(sim_process)
        _terminate(web_process)
    if lost.is_set():
        raise SystemExit(3)


def _serve(engine, lease, heartbeat, stop, lost, sim_process, sim: bool, config) -> bool:
    """Command the switch until asked to stop, the lease is lost, the simulated switch exits, or this engine has
    lost the switch while a standby reaches it; True in the last case (the lease was handed to that standby)."""
    from engine import standby

    def on_lost() -> None:
        engine.executor.fence()
        lost.set()
        stop.set()
    watcher = standby.watch(lease, on_lost)
    switch_loss = standby.SwitchLoss(lambda: engine.switch.connected, heartbeat.standby_reaching_switch)
    click.echo(f"Switch: {'simulated FreeSWITCH' if sim else 'FreeSWITCH'} at {config.esl_host}:{config.esl_port}"
               + (f", control API http://127.0.0.1:{config.sim_control_port}/" if sim else ""))
    handed_over = False
    try:
        while not stop.wait(1.0):
            if sim_process is not None and sim_process.poll() is not None:
                click.echo("the simulated switch exited; stopping", err=True)
                break
            if switch_loss.hand_over_to() is not None:
                engine.executor.fence()         # not one command more from this engine
                handed_over = True
                break
    finally:
        click.echo("stopping…" if not handed_over else "handing over…")
        watcher.kill()
        # with the simulated switch going too, calls are ended (as engine_stopped); on a real switch they stay up,
        # marked on their channels, for the standby (or the next start) to take over
        engine.stop(hangup_calls=sim and not lost.is_set() and not handed_over)
        lease.release()
    return handed_over


def _serving(host: str, port: int) -> bool:
    """Whether something already accepts connections there (a console an earlier engine started lives on)."""
    import socket
    try:
        with socket.create_connection((_local(host), port), timeout=0.5):
            return True
    except OSError:
        return False


def _start_web(ctx: click.Context, demo: bool) -> subprocess.Popen:
    """Start the console (`callcenter web`, gunicorn) as its own processes, in a process group of their own
    (_start_sim says why): this process stops it with SIGTERM, gunicorn's graceful stop."""
    from engine.config import child_environment
    env = child_environment()
    path = ctx.obj.get("config_path")
    return subprocess.Popen([sys.executable, "-m", "engine", *(["--config", path] if path else []), "web",
                             "--demo" if demo else "--no-demo"], env=env, process_group=0)


def _require_own_secrets(ctx: click.Context, config) -> None:
    """Outside demo mode, a shipped secret stops the command with one line naming the settings."""
    from engine.config import ConfigError, require_own_secrets
    try:
        require_own_secrets(config)
    except ConfigError as exc:
        click.echo(f"refusing to start: {exc}", err=True)
        ctx.exit(2)


def _terminate(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _upgrade_and_seed(config, demo: bool) -> None:
    """Bring the schema up to date; seed the demo data on an empty database."""
    from engine.demo import seed_demo
    from engine.store.accounts import ensure_roles
    from engine.store.migrate import upgrade
    from engine.store.session import make_engine, make_session_factory, transaction
    upgrade(config.database_url)
    db = make_engine(config.database_url)
    _seal_data(make_session_factory(db))
    with transaction(make_session_factory(db)) as session:
        if demo:
            seed_demo(session)
        else:
            ensure_roles(session)
    db.dispose()


def _seal_data(factory) -> None:
    """Key data still clear (written before sealing) sealed, or re-sealed under a new first key."""
    from engine.store.resealing import reseal_if_needed
    from engine.store.sealed import SealError
    try:
        outcome = reseal_if_needed(factory)
    except SealError as exc:
        raise click.ClickException(f"{exc}: put the key it was sealed with back into [keys] data (after the "
                                   "first), then run `callcenter data reseal`") from None
    if outcome is not None and outcome.total:
        click.echo(f"database key data sealed under key {outcome.key}: {outcome.total} values")


def _local(host: str) -> str:
    """An address to reach a server bound to `host` from this machine."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def _sim_args(config, demo: bool, web: bool = True) -> list[str]:
    """Command line of the simulated switch for this configuration."""
    from engine.config import PROJECT_ROOT
    from engine.demo import NUMBERS
    args = [sys.executable, "-m", "engine.fsim", "--host", config.esl_host, "--port", str(config.esl_port),
            "--password", config.esl_password, "--control-port", str(config.sim_control_port),
            "--dialplan-dir", str(PROJECT_ROOT / "dialplans"), "--phones", config.sim_phones,
            "--time-scale", str(config.sim_time_scale)]
    if web:     # mod_xml_cdr posts to the console, as conf/freeswitch/autoload_configs/xml_cdr.conf.xml sets it up
        args += ["--xml-cdr-url", f"http://{_local(config.web_host)}:{config.web_port}/freeswitch/cdr",
                 "--xml-cdr-cred", config.directory_credentials]
    if demo:
        args += ["--traffic", "demo", "--calls-per-minute", str(config.sim_calls_per_minute),
                 "--dids", ",".join(n for n, _, _ in NUMBERS)]
    return args


def _start_sim(config, demo: bool, web: bool) -> subprocess.Popen:
    """Start the simulated FreeSWITCH as its own process, in a process group of its own as the console's
    (_start_web): a Ctrl-C in the terminal reaches `callcenter run` alone, which stops the engine first (hanging up
    the calls on the switch, recorded as engine_stopped), then the switch and the console."""
    from engine.config import child_environment
    return subprocess.Popen(_sim_args(config, demo, web), env=child_environment(), process_group=0)


def _wait_listening(host: str, port: int, process: subprocess.Popen, stop, timeout_s: float = 30.0) -> None:
    """Wait until the simulated switch just started accepts connections on its event socket (or has exited, or
    the wait is asked to stop or times out), so that the engine's first connection finds it there."""
    import time
    deadline = time.monotonic() + timeout_s
    while not _serving(host, port) and process.poll() is None and time.monotonic() < deadline:
        if stop.wait(0.1):
            return


@cli.command()
@click.option("--demo/--no-demo", default=False, show_default=True, help="Demo callers and phones.")
@click.pass_context
def sim(ctx: click.Context, demo: bool) -> None:
    """Run the simulated FreeSWITCH alone (ESL on esl.port, control API on sim.control_port)."""
    config = _config(ctx)
    sys.exit(subprocess.call(_sim_args(config, demo, web=False)))


@cli.command()
@click.option("--demo/--no-demo", default=False, show_default=True,
              help="Demo mode: the shipped secrets are accepted.")
@click.pass_context
def web(ctx: click.Context, demo: bool) -> None:
    """Serve the web console alone: gunicorn with gevent workers ([web] workers), in processes of its own."""
    from admin_web.server import serve_production
    config = _config(ctx)
    if not demo:
        _require_own_secrets(ctx, config)
    from engine import sealing
    sealing.set_demo_mode(demo)
    serve_production(config, ctx.obj.get("config_path"), demo)


@cli.command()
@click.option("--demo/--no-demo", default=False, show_default=True,
              help="Demo mode: the shipped secrets are accepted.")
@click.pass_context
def worker(ctx: click.Context, demo: bool) -> None:
    """Run one report worker: computes the reports and exports the console queues (`callcenter web` starts
    [web] report_workers of these itself)."""
    from admin_web.jobs.worker import serve
    config = _config(ctx)
    if not demo:
        _require_own_secrets(ctx, config)
    serve(config)


@cli.command()
@click.option("--admin", "admin_username", default="admin", show_default=True,
              help="Username of the first administrator (created only if there is no active one).")
@click.option("--freeswitch-conf", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the overlay files that carry the secrets (event_socket, xml_cdr, xml_curl) with "
                   "the new values into this FreeSWITCH configuration directory's autoload_configs/.")
@click.option("--force", is_flag=True, help="Replace an existing secrets file (every console session ends, and "
                                            "FreeSWITCH must get the new values too).")
@click.pass_context
def init(ctx: click.Context, admin_username: str, freeswitch_conf: Path | None, force: bool) -> None:
    """First run of a deployment: generate its own secrets into the private settings file (mode 0600), bring the
    database up to date, and create the first administrator with a one-time password, shown once."""
    from engine import first_run
    from engine.store.accounts import ensure_roles
    from engine.store.migrate import upgrade
    from engine.store.session import make_engine, make_session_factory, transaction
    config = _config(ctx)
    path = first_run.secrets_path(config.source)
    if path.exists() and not force:
        click.echo(f"{path} exists already (use --force to replace its secrets)", err=True)
        new = None
    else:
        new = first_run.Secrets.generate()
        first_run.write_secrets(path, new)
        click.echo(f"Secrets written to {path} (mode 600).")
        if freeswitch_conf is not None:
            for written in first_run.write_overlay(freeswitch_conf, new):
                click.echo(f"  FreeSWITCH: {written}")
        else:
            click.echo("  FreeSWITCH must carry the same values (or use --freeswitch-conf):")
            click.echo(f"    event_socket.conf.xml  password = {new.esl_password}")
            click.echo(f"    xml_cdr.conf.xml cred, xml_curl.conf.xml gateway-credentials = "
                       f"{new.directory_credentials}")
    config = _config(ctx)           # with the secrets just written
    upgrade(config.database_url)
    db = make_engine(config.database_url)
    try:
        with transaction(make_session_factory(db)) as session:
            password = first_run.create_first_admin(session, ensure_roles(session), admin_username)
    except ValueError as exc:
        click.echo(f"no administrator created: {exc}", err=True)
        ctx.exit(1)
    finally:
        db.dispose()
    if password is None:
        click.echo("An active administrator exists already: none created.")
    else:
        click.echo(f"First administrator: {admin_username}  one-time password: {password}")
        click.echo("  (shown only now; it must be changed at the first login)")


@cli.group()
def db() -> None:
    """Database schema and data."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply migrations up to a revision."""
    from engine.store.migrate import upgrade
    from engine.store.session import make_engine, make_session_factory
    config = _config(ctx.find_root())
    upgrade(config.database_url, revision)
    if revision == "head":
        db = make_engine(config.database_url)
        _seal_data(make_session_factory(db))
        db.dispose()
    click.echo(f"database at {revision}: {config.database_url}")


@db.command("downgrade")
@click.option("--revision", default="base", show_default=True)
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Revert migrations down to a revision."""
    from engine.store.migrate import downgrade
    config = _config(ctx.find_root())
    downgrade(config.database_url, revision)
    click.echo(f"database at {revision}")


@db.command("seed-demo")
@click.pass_context
def db_seed_demo(ctx: click.Context) -> None:
    """Insert the demo agents, queues, numbers and logins (only into an empty database)."""
    config = _config(ctx.find_root())
    _upgrade_and_seed(config, demo=True)
    click.echo("demo data ready")


@cli.group()
def flows() -> None:
    """IVR flows."""


@flows.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.pass_context
def flows_check(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Validate flow files (default: every flow in the flows directory); exit 1 if any is invalid."""
    from engine.ivr.loader import FlowError, load_flow, load_flows
    config = _config(ctx.find_root())
    problems: list[str] = []
    if paths:
        for path in paths:
            try:
                load_flow(path, config.prompts_dir)
            except FlowError as exc:
                problems += exc.problems
    else:
        _flows, errors = load_flows(config.flows_dir, config.prompts_dir)
        problems = [p for ps in errors.values() for p in ps]
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(f"{len(problems)} problem(s)")
    ctx.exit(1 if problems else 0)


@cli.group()
def recordings() -> None:
    """Recordings and voice messages on disk (encrypted at rest, engine.sealing)."""


@recordings.command("reseal")
@click.pass_context
def recordings_reseal(ctx: click.Context) -> None:
    """Encrypt every recording and voice message with the first key of [keys] recordings: files left clear are
    sealed, sealed ones re-encrypted (key rotation: new key first, reseal, then drop the old key)."""
    from sqlalchemy import select
    from engine import sealing
    from engine.store.models import Recording, Voicemail
    from engine.store.session import make_engine, make_session_factory
    config = _config(ctx.find_root())
    if not sealing.keys_of(config.recording_keys):
        click.echo("no key: set [keys] recordings (callcenter init writes one)", err=True)
        ctx.exit(2)
    keys = sealing.keyring(config.recording_keys)       # opens the demo's files too: they move under the key
    db = make_engine(config.database_url)
    with make_session_factory(db)() as session:
        paths = list(session.scalars(select(Recording.path))) + list(session.scalars(select(Voicemail.file_path)))
    db.dispose()
    done = missing = failed = 0
    for path in paths:
        try:
            sealing.reseal(path, keys)
            done += 1
        except FileNotFoundError:
            missing += 1
        except (OSError, sealing.SealError) as exc:
            failed += 1
            click.echo(f"  {exc}", err=True)
    click.echo(f"{done} files sealed with the first key, {missing} missing, {failed} not opened by any key")
    if failed:
        ctx.exit(1)


@cli.group()
def data() -> None:
    """Key data in the database (caller numbers, collected IVR data...: sealed, engine.store.sealed)."""


@data.command("reseal")
@click.pass_context
def data_reseal(ctx: click.Context) -> None:
    """Seal every value under the first key of [keys] data: clear ones sealed, others re-sealed (key rotation:
    new key first, reseal, then drop the old key)."""
    _data_pass(ctx, unseal=False)


@data.command("unseal")
@click.pass_context
def data_unseal(ctx: click.Context) -> None:
    """Write every value clear again (only before `db downgrade` below the sealing migration)."""
    _data_pass(ctx, unseal=True)


def _data_pass(ctx: click.Context, unseal: bool) -> None:
    from engine.store import resealing
    from engine.store.sealed import SealError
    from engine.store.session import make_engine, make_session_factory
    config = _config(ctx.find_root())
    db = make_engine(config.database_url)
    try:
        outcome = (resealing.unseal if unseal else resealing.reseal)(make_session_factory(db))
    except SealError as exc:
        click.echo(f"data {'unseal' if unseal else 'reseal'}: {exc}", err=True)
        ctx.exit(1)
    finally:
        db.dispose()
    where = ", ".join(f"{t} {n}" for t, n in outcome.rewritten.items()) or "nothing to change"
    click.echo(f"{outcome.total} values {'written clear' if unseal else 'sealed under key ' + outcome.key}"
               f" ({where})")


@cli.group()
def agents() -> None:
    """Agents."""


@agents.command("sip-password")
@click.argument("extension")
@click.option("--password", default=None, help="The new password (default: a random one, shown once).")
@click.pass_context
def agents_sip_password(ctx: click.Context, extension: str, password: str | None) -> None:
    """Set an agent's SIP password; only its digest hash is stored (served to FreeSWITCH by mod_xml_curl)."""
    from sqlalchemy import select

    from engine.sip_accounts import a1_hash, new_password
    from engine.store.models import Agent
    from engine.store.session import make_engine, make_session_factory, transaction
    config = _config(ctx.find_root())
    password = password or new_password()
    db = make_engine(config.database_url)
    with transaction(make_session_factory(db)) as session:
        agent = session.scalars(select(Agent).where(Agent.extension == extension)).first()
        if agent is None:
            click.echo(f"no agent with extension {extension}", err=True)
            ctx.exit(1)
        agent.sip_a1_hash = a1_hash(extension, config.sip_domain, password)
    db.dispose()
    click.echo(f"extension {extension}@{config.sip_domain}: SIP password set to {password} (shown once, not stored)")


@cli.group()
def prompts() -> None:
    """Prompt files."""


@prompts.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", default=None, help="Prompt name (default: the file name without extension).")
@click.pass_context
def prompts_add(ctx: click.Context, path: str, name: str | None) -> None:
    """Convert an audio file (WAV; mp3/m4a/ogg with ffmpeg) into 8 kHz and 16 kHz mono prompts."""
    from pathlib import Path

    from engine.prompts import PromptError, convert
    config = _config(ctx.find_root())
    try:
        written = convert(Path(path).read_bytes(), Path(path).name, config.prompts_dir, name)
    except PromptError as exc:
        click.echo(f"prompt refused: {exc}", err=True)
        ctx.exit(1)
    for rate, out in written.items():
        click.echo(f"{rate} Hz: {out}")


@cli.group()
def numbers() -> None:
    """Published numbers (DIDs): CSV import and export."""


def _flow_names(config) -> set[str]:
    """Names of the flow files in the flows directory (unknown flows in a CSV are warned about)."""
    from pathlib import Path
    folder = Path(config.flows_dir)
    return {p.stem for p in folder.glob("*") if p.suffix in (".yaml", ".yml", ".json")} if folder.is_dir() else set()


@numbers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Delete numbers that are not in the file.")
@click.option("--dry-run", is_flag=True, help="Check the file and report, write nothing.")
@click.pass_context
def numbers_import(ctx: click.Context, file: str, replace: bool, dry_run: bool) -> None:
    """Create or update published numbers from a CSV (number,name,flow,hall_code,active); all or nothing."""
    from engine.store.numbers import NumberImportError, UndecodableCsv, decode_csv, import_numbers_csv
    from engine.store.session import make_engine, make_session_factory
    config = _config(ctx.find_root())
    with open(file, "rb") as fh:
        try:
            text = decode_csv(fh.read())
        except UndecodableCsv as exc:
            click.echo(f"{file}: error: {exc}", err=True)
            ctx.exit(1)
    db = make_engine(config.database_url)
    session = make_session_factory(db)()
    try:
        report = import_numbers_csv(session, text, known_flows=_flow_names(config), replace=replace)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except NumberImportError as exc:
        session.rollback()
        for line in exc.report.errors:
            click.echo(f"{file}: error: {line}", err=True)
        for line in exc.report.warnings:
            click.echo(f"{file}: warning: {line}", err=True)
        click.echo(f"{len(exc.report.errors)} error(s): nothing imported", err=True)
        ctx.exit(1)
    finally:
        session.close()
        db.dispose()
    for line in report.warnings:
        click.echo(f"{file}: warning: {line}", err=True)
    click.echo(("dry run, nothing written: " if dry_run else "") + report.summary())


@numbers.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True))
@click.option("--bom/--no-bom", default=True, show_default=True,
              help="Start the file with a UTF-8 BOM so that Excel reads the Chinese names.")
@click.pass_context
def numbers_export(ctx: click.Context, file: str | None, bom: bool) -> None:
    """Write every published number as CSV to FILE (default: standard output)."""
    from engine.store.numbers import export_numbers_csv
    from engine.store.session import make_engine, make_session_factory, transaction
    config = _config(ctx.find_root())
    db = make_engine(config.database_url)
    with transaction(make_session_factory(db)) as session:
        text = export_numbers_csv(session)
    db.dispose()
    if file is None:
        click.echo(text, nl=False)
        return
    with open(file, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        fh.write(text)
    click.echo(f"{len(text.splitlines()) - 1} numbers written to {file}", err=True)


@cli.group()
def reports() -> None:
    """Report data: the generated year for benchmarks."""


@reports.command("seed-year")
@click.option("--calls", default=3_000_000, show_default=True, help="Calls over the year (IVR-only ones included).")
@click.option("--agents", default=124, show_default=True, help="Seats of the center.")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day (default: 1 January of last year).")
@click.option("--days", default=365, show_default=True, help="Calendar days from the start (working days get calls).")
@click.option("--seed", default=12366, show_default=True, help="Random seed: the same seed gives the same year.")
@click.option("--replace", is_flag=True, help="Clear the call history tables first (else they must be empty).")
@click.option("--rollups/--no-rollups", default=True, show_default=True, help="Rebuild the report rollups after.")
@click.pass_context
def reports_seed_year(ctx: click.Context, calls: int, agents: int, start, days: int, seed: int, replace: bool,
                      rollups: bool) -> None:
    """Generate a year of a 12366 center (call-event log, agent states, call records, surveys) into the database."""
    from engine.seeding.year import SeedingError, YearOptions, seed_year
    from engine.store.migrate import upgrade
    config = _config(ctx.find_root())
    upgrade(config.database_url)
    options = YearOptions(calls=calls, agents=agents, days=days, seed=seed, replace=replace, rebuild_rollups=rollups)
    if start is not None:
        options = dataclasses.replace(options, start=start.date())
    try:
        summary = seed_year(config.database_url, options, progress=click.echo)
    except SeedingError as exc:
        click.echo(f"seed-year: {exc}", err=True)
        ctx.exit(1)
    click.echo(f"{summary.calls:,} calls on {summary.working_days} working days ({summary.blocked:,} callers found "
               f"every trunk busy), {sum(summary.rows.values()):,} rows in {summary.seconds:.0f} s")


@cli.group()
def wfm() -> None:
    """Workforce planning: the digital twin of a planned day."""


def _hhmm_index(text: str | None) -> int | None:
    """HH:MM -> the index of the 15-minute interval it falls in (None stays None)."""
    if not text:
        return None
    hh, _, mm = text.partition(":")
    return (int(hh) * 60 + int(mm or 0)) // 15


@wfm.command("twin")
@click.option("--day", "day", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="The day to run (a forecast day, or a past one).")
@click.option("--queue", "queue_code", default=None, help="Queue code (default: all queues as one).")
@click.option("--source", type=click.Choice(["forecast", "actual"]), default="forecast", show_default=True,
              help="Calls from the day's forecast, or (a past day) the requests it really had.")
@click.option("--agents", type=int, default=None,
              help="Agents on the phones in every interval (default: the plan's Erlang A staffing for --level).")
@click.option("--schedule", "use_schedule", is_flag=True,
              help="Agents per interval from the published schedules (those at work, their breaks left out).")
@click.option("--level", type=float, default=0.8, show_default=True,
              help="Service-level target (0-1) the plan staffs for, at the report definitions' T.")
@click.option("--from", "first", default=None, help="First interval HH:MM (default: the first with calls).")
@click.option("--to", "last", default=None, help="Last interval HH:MM (default: the last with calls).")
@click.option("--speed", type=float, default=60.0, show_default=True,
              help="Virtual seconds per wall-clock second (60: an hour of the day in a minute).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--db", "twin_db", type=click.Path(dir_okay=False), default=None,
              help="The twin's own database file (a new SQLite file; default a temporary one, printed).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the figures as JSON here.")
@click.pass_context
def wfm_twin(ctx: click.Context, day, queue_code: str | None, source: str, agents: int | None, use_schedule: bool,
             level: float, first: str | None, last: str | None, speed: float, seed: int, twin_db: str | None,
             json_path: str | None) -> None:
    """Run a day through the real engine on the simulated switch in accelerated time (the digital twin) and print
    its service level, waits and abandons next to the Erlang A and C figures for the same staffing (docs/twin.md).
    The center's database is only read; the twin writes its records to a database of its own."""
    import datetime as dt
    import json
    import os

    from engine.reports.definitions import load_definitions
    from engine.reports.periods import local
    from engine.store.session import make_engine, make_session_factory, transaction
    from engine.twin import result as twin_result
    from engine.twin.plan import NoTwinPlan, from_database
    from engine.twin.run import TwinOptions, run as twin_run
    config = _config(ctx.find_root())
    if twin_db and os.path.exists(twin_db):
        click.echo(f"{twin_db} exists; the twin needs a new database", err=True)
        ctx.exit(2)
    db = make_engine(config.database_url)
    try:
        with transaction(make_session_factory(db)) as session:
            plan = from_database(session, day.date(), queue_code, local(dt.datetime.now().timestamp()).date(),
                                 source=source, agents="schedule" if use_schedule else agents, level=level,
                                 definitions=load_definitions(session),
                                 first=_hhmm_index(first), last=_hhmm_index(last))
    except NoTwinPlan as exc:
        click.echo(f"wfm twin: {exc}", err=True)
        ctx.exit(1)
    finally:
        db.dispose()
    root, level = logging.getLogger(), logging.getLogger().level
    if not ctx.find_root().params.get("verbose"):
        # the twin's engine logs every call at INFO, and a warning for each caller who hangs up before the answer
        root.setLevel(logging.ERROR)
    options = TwinOptions(speed=speed, seed=seed,
                          database_url=f"sqlite:///{os.path.abspath(twin_db)}" if twin_db else None)
    try:
        res = twin_result.build(twin_run(plan, options, say=click.echo))
    finally:
        root.setLevel(level)            # the process's logging as it was (the command may run inside another)
    click.echo(twin_result.text(res))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as fh:
            json.dump(res.as_dict(), fh, ensure_ascii=False, indent=1)
    if not res.checks_ok:
        ctx.exit(1)


def _register() -> None:
    """Command groups that live in modules of their own."""
    from engine.cli_accounts import tokens, users
    cli.add_command(users)
    cli.add_command(tokens)


_register()

if __name__ == "__main__":
    main()
