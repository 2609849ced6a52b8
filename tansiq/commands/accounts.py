"""`tansiq partners ...` and `tansiq users ...`: who takes part, and who may log in."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Connection

from tansiq import accounts
from tansiq.accounts import Principal
from tansiq.commands.common import DbOption, JsonOption, engine_for, err, now, print_json
from tansiq.domain.markings import person_viewer
from tansiq.domain.reports import Role
from tansiq.errors import NotFound
from tansiq.store import users
from tansiq.store.database import reading, require_schema, writing
from tansiq.store.partners import add_partner, list_partners, node_partner, partner_parents

partners_app = typer.Typer(
    help="Partner organisations and sub-organisations.", no_args_is_help=True
)
users_app = typer.Typer(help="People and partner-node accounts on this node.", no_args_is_help=True)


@partners_app.command("add")
def partners_add(
    code: Annotated[str, typer.Argument(help="Short code, e.g. krg, joc, krg-asayish.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    parent: Annotated[str | None, typer.Option(help="Code of the parent organisation.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Add a partner organisation (or update its name and parent)."""
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        created = add_partner(conn, code, name, parent, now())
    if json:
        print_json({"code": code, "created": created})
    else:
        err.print(f"partner {code} {'added' if created else 'updated'}")


@partners_app.command("list")
def partners_list(db: DbOption = None, json: JsonOption = False) -> None:
    """List partners; the node's own partner is marked."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = list_partners(conn)
        own = node_partner(conn)
    if json:
        print_json([{"code": p.code, "name": p.name, "parent": p.parent_code} for p in found])
        return
    table = Table("code", "name", "parent", "this node")
    for p in found:
        table.add_row(p.code, p.name, p.parent_code or "", "yes" if p.code == own else "")
    Console().print(table)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    partner: Annotated[str, typer.Option(help="Partner code the user belongs to.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    password: Annotated[
        str | None, typer.Option(help="Password for Basic login (12+ characters).")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Add a user and print their API token, once: it is not stored and cannot be shown again."""
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        user, token = accounts.create_user(conn, name, partner, role, password, now())
    if json:
        print_json(
            {
                "user": user.name,
                "partner": user.partner_code,
                "role": user.role.value,
                "token": token,
            }
        )
    else:
        err.print(f"user {user.name} ({user.role.value}, {user.partner_code}) added; API token:")
        typer.echo(token)


@users_app.command("list")
def users_list(db: DbOption = None, json: JsonOption = False) -> None:
    """List users (never their tokens or password hashes)."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = users.list_users(conn)
    if json:
        print_json(
            [{"user": u.name, "partner": u.partner_code, "role": u.role.value} for u in found]
        )
        return
    table = Table("user", "partner", "role")
    for u in found:
        table.add_row(u.name, u.partner_code, u.role.value)
    Console().print(table)


def acting(conn: Connection, as_user: str | None) -> Principal:
    """Who a command acts as: a named user, or the node administrator at the console."""
    if as_user is not None:
        user = users.by_name(conn, as_user)
        if user is None:
            raise NotFound(f"no user named {as_user!r}")
        return accounts.principal(conn, user)
    own = node_partner(conn)
    return Principal("console", own, Role.ADMIN, person_viewer(own, partner_parents(conn)))


AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Act as this user (default: the node administrator)."),
]
