"""`callcenter users ...` and `callcenter tokens ...`: console accounts and the CTI API's tokens from the command
line (engine.store.accounts does the work; every change is audited as cli:<login>)."""
from __future__ import annotations

import contextlib

import click


@click.group()
def users() -> None:
    """Console accounts: list, create, disable/enable, reset a password, unlock (engine.store.accounts)."""


@contextlib.contextmanager
def _session(ctx: click.Context):
    """A session on the configured database, closed (and its engine disposed) afterwards."""
    from engine.config import ConfigError, load_config
    from engine.store.session import make_engine, make_session_factory
    try:
        config = load_config(ctx.find_root().obj.get("config_path"))
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        ctx.exit(2)
    db = make_engine(config.database_url)
    try:
        with make_session_factory(db)() as session:
            yield session
    finally:
        db.dispose()


def _account(ctx: click.Context, session, username: str):
    from sqlalchemy import select
    from engine.store.models import User
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        click.echo(f"no account {username}", err=True)
        ctx.exit(1)
    return user


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    from sqlalchemy import select
    from engine.store.models import User
    with _session(ctx) as session:
        for user in session.scalars(select(User).order_by(User.username)):
            state = "disabled" if not user.active else ("must-change-password" if user.must_change_password
                                                        else "active")
            click.echo(f"{user.username:20} {user.role.code.value:11} {state:21} agent={user.agent_id or '-'} "
                       f"extension={user.extension or '-'}")


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "supervisor", "quality", "viewer", "agent"]), required=True)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--agent", "employee_no", default=None, help="The agent's employee number (role agent).")
@click.option("--extension", default=None, help="The user's own phone (supervision rings only this one).")
@click.option("--hall", "hall_code", default=None, help="The hall (code) whose subtree the user sees; default: all.")
@click.pass_context
def users_create(ctx: click.Context, username: str, role: str, display_name: str, employee_no: str | None,
                 extension: str | None, hall_code: str | None) -> None:
    """Create an account; its one-time password is printed once."""
    from sqlalchemy import select
    from engine.domain.states import Role
    from engine.store import accounts
    from engine.store.models import Agent, Hall
    with _session(ctx) as session:
        hall_id = session.scalar(select(Hall.id).where(Hall.code == hall_code)) if hall_code else None
        if hall_code and hall_id is None:
            click.echo(f"no hall {hall_code}", err=True)
            ctx.exit(1)
        agent_id = None
        if employee_no:
            agent_id = session.scalar(select(Agent.id).where(Agent.employee_no == employee_no))
            if agent_id is None:
                click.echo(f"no agent {employee_no}", err=True)
                ctx.exit(1)
        try:
            user, password = accounts.create(session, username, accounts.AccountFields(
                display_name=display_name, role=Role(role), agent_id=agent_id, extension=extension, hall_id=hall_id))
        except accounts.AccountError as exc:
            click.echo(f"refused: {exc}", err=True)
            ctx.exit(1)
        _audit(session, "user.create", f"user:{user.username}", f"role {role} (command line)")
        session.commit()
    click.echo(f"{username}: one-time password {password} (shown only now; to be changed at the first login)")


@users.command("reset-password")
@click.argument("username")
@click.pass_context
def users_reset_password(ctx: click.Context, username: str) -> None:
    """A new one-time password (printed once); the account's sessions end, its lock is lifted."""
    from engine.store import accounts
    with _session(ctx) as session:
        password = accounts.reset_password(session, _account(ctx, session, username))
        _audit(session, "user.reset_password", f"user:{username}", "command line")
        session.commit()
    click.echo(f"{username}: one-time password {password} (shown only now; to be changed at the first login)")


@users.command("disable")
@click.argument("username")
@click.pass_context
def users_disable(ctx: click.Context, username: str) -> None:
    _set_active(ctx, username, False)


@users.command("enable")
@click.argument("username")
@click.pass_context
def users_enable(ctx: click.Context, username: str) -> None:
    _set_active(ctx, username, True)


def _set_active(ctx: click.Context, username: str, active: bool) -> None:
    from engine.store import accounts
    with _session(ctx) as session:
        try:
            accounts.set_active(session, _account(ctx, session, username), active)
        except accounts.AccountError as exc:
            click.echo(f"refused: {exc}", err=True)
            ctx.exit(1)
        _audit(session, "user.edit", f"user:{username}", ("enabled" if active else "disabled") + " (command line)")
        session.commit()
    click.echo(f"{username}: {'enabled' if active else 'disabled, its sessions ended'}")


@users.command("unlock")
@click.argument("username")
@click.pass_context
def users_unlock(ctx: click.Context, username: str) -> None:
    """Lift the login throttle's lock on an account."""
    from engine.store import accounts
    with _session(ctx) as session:
        _account(ctx, session, username)
        forgotten = accounts.unlock(session, username)
        _audit(session, "user.unlock", f"user:{username}", f"{forgotten} failed logins forgotten (command line)")
        session.commit()
    click.echo(f"{username}: unlocked ({forgotten} failed logins forgotten)")


def _audit(session, action: str, target: str, detail: str) -> None:
    import getpass
    from engine.store.models import AuditEntry
    session.add(AuditEntry(actor=f"cli:{getpass.getuser()}", action=action, target=target[:128], detail=detail))


@click.group()
def tokens() -> None:
    """API tokens for CRM integrations on the CTI API (each acts for one agent, or for a hall whose CRM names the
    agent of its subtree in an X-Agent header on each request; only its hash is stored)."""


@tokens.command("create")
@click.option("--agent", "employee_no", default=None, metavar="EMPLOYEE_NO",
              help="The agent the token acts for (employee number).")
@click.option("--hall", "hall_code", default=None, metavar="HALL_CODE",
              help="Or the hall (code) whose subtree's agents it acts for, each request naming one in X-Agent.")
@click.option("--name", default="CRM", show_default=True, help="What it is for (shown in the list).")
@click.pass_context
def tokens_create(ctx: click.Context, employee_no: str | None, hall_code: str | None, name: str) -> None:
    """A new token, printed once: send it as `Authorization: Bearer <token>` (a hall's also with
    `X-Agent: <employee no>`)."""
    from sqlalchemy import select
    from engine.store import accounts
    from engine.store.models import Agent, Hall
    if (employee_no is None) == (hall_code is None):
        raise click.UsageError("give exactly one of --agent EMPLOYEE_NO and --hall HALL_CODE", ctx)
    with _session(ctx) as session:
        agent_id = hall_id = None
        if employee_no is not None:
            agent_id = session.scalar(select(Agent.id).where(Agent.employee_no == employee_no))
            if agent_id is None:
                click.echo(f"no agent {employee_no}", err=True)
                ctx.exit(1)
            target = f"agent {employee_no}"
        else:
            hall_id = session.scalar(select(Hall.id).where(Hall.code == hall_code))
            if hall_id is None:
                click.echo(f"no hall {hall_code}", err=True)
                ctx.exit(1)
            target = f"hall {hall_code}"
        token_id, token = accounts.create_token(session, agent_id, name, "cli", hall_id=hall_id)
        _audit(session, "token.create", f"token:{token_id}", f"{target}, {name}")
        session.commit()
    click.echo(f"token {token_id} for {target}: {token} (shown only now)")


@tokens.command("list")
@click.pass_context
def tokens_list(ctx: click.Context) -> None:
    """Every token: what it acts for (agent=<employee no> or hall=<code>), its state, its last use."""
    from sqlalchemy import select
    from engine.store.models import Agent, ApiToken, Hall
    with _session(ctx) as session:
        rows = session.execute(select(ApiToken, Agent.employee_no, Hall.code)
                               .outerjoin(Agent, Agent.id == ApiToken.agent_id)
                               .outerjoin(Hall, Hall.id == ApiToken.hall_id).order_by(ApiToken.id)).all()
        for row, employee_no, hall_code in rows:
            state = "revoked" if row.revoked_at else "active"
            target = f"agent={employee_no}" if row.agent_id is not None else f"hall={hall_code}"
            click.echo(f"{row.id:5} {target:20} {state:8} {row.name} last used {row.last_used_at or '-'}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: int) -> None:
    from engine.store import accounts
    with _session(ctx) as session:
        if not accounts.revoke_token(session, token_id):
            click.echo(f"no active token {token_id}", err=True)
            ctx.exit(1)
        _audit(session, "token.revoke", f"token:{token_id}", "command line")
        session.commit()
    click.echo(f"token {token_id} revoked")
