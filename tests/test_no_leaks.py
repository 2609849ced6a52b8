"""Property: no marked object, nor any trace of it, reaches a user it is not released to.

Hypothesis builds a node (a partner tree with sub-organisations, an owner, users of several
partners in person and peer roles) and a story told through the HTTP API: the owner's analysts
create cells and reports (linking cells, with a place) under random TLP and releasability,
other partners' analysts comment on what they can see under their own markings, originators
re-mark (widen and narrow) and withdraw. Every title and text carries a distinctive token.

The oracle is `Model`: the rules of tansiq.domain.markings' docstring written again from the
story alone (it never calls the production visibility code). An object is *visible* to a user
when its latest marking releases it to them, it is not withdrawn, and (for a comment) the object
it comments on is visible too. For every user, every read path must show exactly the visible
objects and nothing of any other one: no STIX id, no title or text token, no count, no header,
no `next` token, no error message that differs from a missing id's.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.domain.markings import node_viewer
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings, sqlite_url
from tansiq.sharing import exchange, stix
from tansiq.sharing.taxii.collections import INTEL, WITHDRAWALS
from tansiq.store import migrate
from tansiq.store.database import create_db_engine, reading, writing
from tansiq.store.partners import add_partner, partner_parents, set_node_partner
from tansiq.store.schema import metadata, stix_objects
from tests.conftest import FROZEN_NOW

TLPS = ("clear", "green", "amber", "amber+strict", "red")
COMMENTS = ("note", "sighting", "opinion")
LISTED = ("report", "intrusion-set", *COMMENTS)
CONTENT = frozenset({*LISTED, "location"})
ROLES = (Role.ANALYST, Role.WATCH, Role.APPROVER, Role.ADMIN, Role.PEER)
WRITERS = frozenset({Role.ANALYST, Role.APPROVER, Role.ADMIN})
TOKEN_LETTERS = "ghjkmnprstvwxyz"  # no hex digit: a token never hides inside an id
TAXII = "application/taxii+json;version=2.1"
INTEL_URL = f"/taxii2/exchange/collections/{INTEL.id}/"
WITHDRAWALS_URL = f"/taxii2/exchange/collections/{WITHDRAWALS.id}/"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KEPT_TABLES = frozenset({"areas", "alembic_version", "incident_grid_state"})
"""Kept: the grid's state row says how far it counts, and ids never go back on PostgreSQL."""


# --- the story -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A release as asked for: a TLP and partner codes (the originator's own may be among them)."""

    tlp: str
    to: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"{self.tlp.upper()}->{{{','.join(sorted(self.to))}}}"


@dataclass(frozen=True)
class User:
    name: str
    partner: str
    role: Role

    @property
    def peer(self) -> bool:
        return self.role is Role.PEER

    @property
    def writer(self) -> bool:
        return self.role in WRITERS


@dataclass(frozen=True)
class Act:
    """One write: `verb` by `actor` on (or creating) the object named `target`."""

    verb: str  # cell | report | comment | mark | withdraw
    actor: str
    target: str
    mark: Mark | None = None
    kind: str = ""  # a comment's kind
    on: str = ""  # what a comment is about
    cells: tuple[str, ...] = ()
    place: bool = False

    def __repr__(self) -> str:
        extra = f" {self.kind} on {self.on}" if self.verb == "comment" else ""
        extra += f" cells={list(self.cells)}" if self.cells else ""
        extra += " +place" if self.place else ""
        marked = f" {self.mark!r}" if self.mark else ""
        return f"{self.actor}: {self.verb} {self.target}{extra}{marked}"


@dataclass(frozen=True)
class Scenario:
    partners: tuple[tuple[str, str | None], ...]
    owner: str
    users: tuple[User, ...]
    salt: str
    acts: tuple[Act, ...]

    def __repr__(self) -> str:
        tree = ", ".join(f"{c}<{p}" if p else c for c, p in self.partners)
        people = ", ".join(f"{u.name}={u.partner}/{u.role.value}" for u in self.users)
        story = "".join(f"\n  {a!r}" for a in self.acts)
        return f"Scenario(partners: {tree}; owner {self.owner}; users: {people}){story}"


# --- the oracle ------------------------------------------------------------------------------


@dataclass
class Obj:
    name: str
    stix_type: str
    originator: str
    tokens: tuple[str, ...]
    states: list[Mark | None]  # every marking it had, oldest first; None once withdrawn
    on: str | None = None  # a comment's subject
    cells: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()  # a report's locations, marked and withdrawn with it

    @property
    def live(self) -> bool:
        return self.states[-1] is not None


@dataclass
class Model:
    """The story's objects and who may see them, by the rules, from scratch."""

    parents: dict[str, str | None]
    salt: str
    objects: dict[str, Obj] = field(default_factory=dict)

    def above(self, code: str) -> set[str]:
        found = {code}
        while (parent := self.parents.get(code)) is not None and parent not in found:
            found.add(parent)
            code = parent
        return found

    def below(self, code: str) -> set[str]:
        return {c for c in self.parents if c != code and code in self.above(c)}

    def released(self, obj: Obj, mark: Mark | None, partner: str, peer: bool) -> bool:
        """Whether `mark` on `obj` reaches a person (or a partner node's account) of `partner`."""
        if mark is None:
            return False
        if mark.tlp == "amber+strict":
            audience = {obj.originator}
        else:
            audience = set(mark.to) | {obj.originator}
        if mark.tlp == "red":  # the named partners themselves (a node also carries its subs)
            reach = {partner} | (self.below(partner) if peer else set())
        else:  # released to an organisation reaches everyone below it
            reach = self.above(partner) | (self.below(partner) if peer else set())
        return bool(audience & reach)

    def released_now(self, name: str, partner: str, peer: bool) -> bool:
        obj = self.objects[name]
        return self.released(obj, obj.states[-1], partner, peer)

    def visible(self, name: str, partner: str, peer: bool) -> bool:
        obj = self.objects[name]
        if not self.released(obj, obj.states[-1], partner, peer):
            return False
        return obj.on is None or self.visible(obj.on, partner, peer)

    def seen_before(self, name: str, partner: str, peer: bool) -> bool:
        """Whether a marking before the latest released it to them (a tombstone may tell them)."""
        obj = self.objects[name]
        return any(self.released(obj, mark, partner, peer) for mark in obj.states[:-1])

    def token(self, kind: str, index: int) -> str:
        return f"qz{kind}{index:02d}{self.salt}"

    def apply(self, act: Act, by: User) -> None:
        if act.verb in ("cell", "report", "comment"):
            index = len(self.objects)
            assert act.mark is not None
            stix_type = {"cell": "intrusion-set", "report": "report"}.get(act.verb, act.kind)
            tokens = (self.token("t", index), self.token("x", index))
            parts = (f"{act.target}.place",) if act.place else ()
            obj = Obj(
                act.target,
                stix_type,
                by.partner,
                tokens,
                [act.mark],
                act.on or None,
                act.cells,
                parts,
            )
            self.objects[act.target] = obj
            for part in parts:
                location = Obj(part, "location", by.partner, (self.token("p", index),), [act.mark])
                self.objects[part] = location
            return
        obj = self.objects[act.target]
        new = act.mark if act.verb == "mark" else None
        for name in (obj.name, *obj.parts):
            self.objects[name].states.append(new)


# --- generating stories ----------------------------------------------------------------------

CODES = st.from_regex(r"[a-z][a-z0-9]{1,4}", fullmatch=True)


def _subset(draw: st.DrawFn, codes: Sequence[str]) -> frozenset[str]:
    return draw(st.frozensets(st.sampled_from(sorted(codes)))) if codes else frozenset()


def _mark(draw: st.DrawFn, codes: Sequence[str], current: Mark | None = None) -> Mark:
    """Any marking, or one that widens or narrows `current`, or changes only its TLP or only
    its releasability."""
    modes = ("widen", "narrow", "stricter", "tlp", "to", "any")
    mode = "any" if current is None else draw(st.sampled_from(modes))
    if mode == "any" or current is None:
        return Mark(draw(st.sampled_from(TLPS)), _subset(draw, codes))
    rank = TLPS.index(current.tlp)
    if mode == "stricter" and current.tlp != "red":  # the same partners, a stricter TLP
        return Mark(draw(st.sampled_from(TLPS[rank + 1 :])), current.to)
    if mode in ("tlp", "stricter"):
        return Mark(draw(st.sampled_from(TLPS)), current.to)
    if mode == "to":
        return Mark(current.tlp, _subset(draw, codes))
    if mode == "widen":
        return Mark(draw(st.sampled_from(TLPS[: rank + 1])), current.to | _subset(draw, codes))
    return Mark(draw(st.sampled_from(TLPS[rank:])), _subset(draw, sorted(current.to)))


def _act(draw: st.DrawFn, model: Model, users: Sequence[User], owner: str) -> Act:
    codes = sorted(model.parents)
    writers = [u for u in users if u.writer]
    own = [u for u in writers if owner in model.above(u.partner)]
    named = f"o{len(model.objects)}"
    topics = [n for n, o in model.objects.items() if o.stix_type != "location"]
    discuss = [
        (u, n)
        for u in writers
        for n in topics
        if model.objects[n].originator != u.partner and model.visible(n, u.partner, False)
    ]
    change = [
        (u, n)
        for u in writers
        for n in topics
        if model.objects[n].live and model.objects[n].originator == u.partner
    ]
    verbs = ["report", "cell", "report", "cell"]
    verbs += ["comment", "comment"] if discuss else []
    verbs += ["mark", "mark", "mark", "mark", "withdraw"] if change else []
    verb = draw(st.sampled_from(verbs))
    if verb == "cell":
        actor = draw(st.sampled_from(own))
        return Act("cell", actor.name, named, _mark(draw, codes))
    if verb == "report":
        actor = draw(st.sampled_from(own))
        cells = [
            n
            for n, o in model.objects.items()
            if o.stix_type == "intrusion-set" and model.visible(n, actor.partner, False)
        ]
        linked: list[str] = []
        if cells:  # mostly link one or two
            least = draw(st.sampled_from((1, 1, 1, 0)))
            linked = draw(st.lists(st.sampled_from(cells), unique=True, min_size=least, max_size=2))
        place = draw(st.booleans())
        # marked from a linked cell's marking (wider, narrower or anew): a report often
        # reaches readers who may not see its cells
        mark = _mark(draw, codes, model.objects[linked[0]].states[-1] if linked else None)
        return Act("report", actor.name, named, mark, cells=tuple(linked), place=place)
    if verb == "comment":
        actor, on = draw(st.sampled_from(discuss))
        kinds = [k for k in COMMENTS if not (k == "sighting" and model.objects[on].stix_type == k)]
        kind = draw(st.sampled_from(kinds))
        return Act("comment", actor.name, named, _mark(draw, codes), kind=kind, on=on)
    actor, target = draw(st.sampled_from(change))
    if verb == "withdraw":
        return Act("withdraw", actor.name, target)
    return Act("mark", actor.name, target, _mark(draw, codes, model.objects[target].states[-1]))


@st.composite
def scenarios(draw: st.DrawFn, max_acts: int) -> Scenario:
    codes = draw(st.lists(CODES, min_size=3, max_size=4, unique=True))
    parents: list[str | None] = [None, codes[0]]  # at least one sub-organisation
    parents += [draw(st.none() | st.sampled_from(codes[:i])) for i in range(2, len(codes))]
    partners = tuple(zip(codes, parents, strict=True))
    owner = draw(st.sampled_from((codes[0], *codes)))  # often the one with a sub-organisation
    # someone at every partner, then a few more; the owner's first analyst tells the story
    accounts_at = [owner, *(c for c in codes if c != owner)]
    accounts_at += draw(st.lists(st.sampled_from(codes), max_size=1))
    roles = [Role.ANALYST] + [draw(st.sampled_from(ROLES)) for _ in accounts_at[1:]]
    users = tuple(
        User(f"u{i}", code, role)
        for i, (code, role) in enumerate(zip(accounts_at, roles, strict=True))
    )
    salt = draw(st.text(TOKEN_LETTERS, min_size=6, max_size=6))
    model = Model(dict(partners), salt)
    by_name = {u.name: u for u in users}
    acts = []
    for _ in range(draw(st.integers(3, max_acts))):
        act = _act(draw, model, users, owner)
        model.apply(act, by_name[act.actor])
        acts.append(act)
    return Scenario(partners, owner, users, salt, tuple(acts))


# --- running a story on a node ---------------------------------------------------------------


def _release(mark: Mark) -> dict[str, Any]:
    return {"tlp": mark.tlp, "releasable_to": sorted(mark.to)}


def _uuid(stix_id: str) -> str:
    return stix_id.partition("--")[2]


def _taxii_time(micros: int) -> str:
    return (EPOCH + timedelta(microseconds=micros)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _date(stamp: str) -> int:
    return stix.to_micros(stix.parse_stix_time(stamp))


def _missing(stix_type: str) -> str:
    return f"{stix_type}--{uuid.uuid4()}"


def _decoded_next(body: dict[str, Any]) -> str:
    """A `next` token's signed payload in clear: it must not name what the caller cannot see."""
    token = body.get("next")
    if not isinstance(token, str):
        return ""
    encoded = token.partition(".")[0]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode(errors="replace")


class Node:
    """A node built from a scenario, the story told through its API, and the checks."""

    def __init__(
        self, scenario: Scenario, engine: Engine, client: TestClient, probes: int = 1
    ) -> None:
        self.scenario = scenario
        self.engine = engine
        self.client = client
        self.model = Model(dict(scenario.partners), scenario.salt)
        self.users = {u.name: u for u in scenario.users}
        self.tokens: dict[str, str] = {}
        self.principals: dict[str, accounts.Principal] = {}
        self.ids: dict[str, str] = {}  # object name -> STIX id
        self.names: dict[str, str] = {}  # STIX id -> object name
        self.problems: list[str] = []
        self.probes = probes
        self.dates: dict[tuple[str, str, int], int] = {}
        self.absent: dict[tuple[str, str, str], Shape] = {}

    # -- setting up and telling the story

    def setup(self) -> None:
        with writing(self.engine) as conn:
            for code, parent in self.scenario.partners:
                add_partner(conn, code, f"Partner {code.upper()}", parent, FROZEN_NOW)
            set_node_partner(conn, self.scenario.owner)
            for u in self.scenario.users:
                user, token = accounts.create_user(
                    conn, u.name, u.partner, u.role, None, FROZEN_NOW
                )
                self.tokens[u.name] = token
                self.principals[u.name] = accounts.principal(conn, user)

    def auth(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    def tell(self) -> None:
        for act in self.scenario.acts:
            self._do(act)
            self.model.apply(act, self.users[act.actor])

    def _do(self, act: Act) -> None:
        headers = self.auth(act.actor)
        index = len(self.model.objects)
        title, text = self.model.token("t", index), self.model.token("x", index)
        if act.verb == "mark":
            assert act.mark is not None
            url = f"/api/objects/{self.ids[act.target]}/marking"
            answer = self.client.post(url, json=_release(act.mark), headers=headers)
            assert answer.status_code == 204, (act, answer.text)
            return
        if act.verb == "withdraw":
            url = f"/api/objects/{self.ids[act.target]}/withdraw"
            answer = self.client.post(url, headers=headers)
            assert answer.status_code == 204, (act, answer.text)
            return
        assert act.mark is not None
        release = _release(act.mark)
        if act.verb == "cell":
            body = {"name": f"Cell {title}", "description": f"Seen near {text}", **release}
            answer = self.client.post("/api/cells", json=body, headers=headers)
        elif act.verb == "report":
            body = {
                "title": f"Report {title}",
                "text": f"Movement of {text} at dusk",
                "cells": [self.ids[c] for c in act.cells],
                "places": [{"lat": 35.47, "lon": 44.39, "name": self.model.token("p", index)}]
                if act.place
                else [],
                **release,
            }
            answer = self.client.post("/api/reports", json=body, headers=headers)
        else:
            body = {
                "kind": act.kind,
                "on": self.ids[act.on],
                "text": f"{title} {text}",
                "opinion": "agree",
                **release,
            }
            answer = self.client.post("/api/comments", json=body, headers=headers)
        assert answer.status_code == 201, (act, answer.text)
        self._named(act.target, answer.json()["id"])
        if act.place:
            self._named(f"{act.target}.place", stix.location_id(answer.json()["id"], 0))

    def _named(self, name: str, stix_id: str) -> None:
        self.ids[name] = stix_id
        self.names[stix_id] = name

    # -- the oracle's view of one reader

    def visible(self, partner: str, peer: bool) -> set[str]:
        return {n for n in self.model.objects if self.model.visible(n, partner, peer)}

    def traces(self, name: str) -> tuple[str, ...]:
        """What betrays an object: its id (the UUID part suffices) and its tokens."""
        return (_uuid(self.ids[name]), *self.model.objects[name].tokens)

    def leaks(self, text: str, hidden: Iterable[str]) -> list[str]:
        found = []
        for name in sorted(hidden):
            found += [f"{name} ({trace})" for trace in self.traces(name) if trace in text]
        return found

    def expect_clean(self, where: str, text: str, hidden: Iterable[str]) -> None:
        found = self.leaks(text, hidden)
        if found:
            self.problems.append(f"{where}: shows hidden {', '.join(found)}")

    def expect_ids(self, where: str, got: Iterable[str], want: Iterable[str]) -> None:
        got_names = {self.names.get(i, i) for i in got}
        want_names = set(want)
        if got_names != want_names:
            extra, missing = sorted(got_names - want_names), sorted(want_names - got_names)
            self.problems.append(f"{where}: extra {extra}, missing {missing}")

    # -- every read path, for every user

    def check_everyone(self) -> None:
        """Every path for one user of each partner and kind of account (person or node); the
        others, who have the same rights, through the listing; the write errors per writer."""
        readers: dict[tuple[str, bool], User] = {}
        probed: set[str] = set()
        for user in self.scenario.users:
            first = readers.setdefault((user.partner, user.peer), user)
            if first is user:
                self.check_reader(user)
            else:
                self.check_listing(user, ("report",))
            if user.writer and user.partner not in probed:
                probed.add(user.partner)
                self.check_write_errors(user)
        self.check_node_bundles()

    def check_reader(self, user: User) -> None:
        visible = self.visible(user.partner, user.peer)
        hidden = set(self.model.objects) - visible
        self.check_listing(user, LISTED)
        self.check_searches(user, hidden)
        self.check_objects(user, visible, hidden)
        self.check_page(user, visible, hidden)
        self.check_intel(user, visible, hidden)
        self.check_withdrawals(user, visible, hidden)
        self.check_bundles(user, visible, hidden)

    def get(self, user: User, url: str, **params: Any) -> httpx.Response:
        return self.client.get(url, headers=self.auth(user.name), params=params)

    def taxii(self, user: User, url: str, **params: Any) -> httpx.Response:
        return self.client.get(url, headers=self.auth(user.name, Accept=TAXII), params=params)

    def check_listing(self, user: User, types: Sequence[str]) -> None:
        """GET /api/reports of each type, plain and searching every token: exactly the visible."""
        visible = self.visible(user.partner, user.peer)
        hidden = set(self.model.objects) - visible
        present = {o.stix_type for o in self.model.objects.values()}
        for stix_type in (t for t in types if t in present):
            want = {n for n in visible if self.model.objects[n].stix_type == stix_type}
            for q in (None, self.model.salt):
                params: dict[str, Any] = {"type": stix_type, "limit": 1000}
                if q:
                    params["q"] = q
                answer = self.get(user, "/api/reports", **params)
                where = f"{user.name} GET /api/reports {params}"
                if answer.status_code != 200:
                    self.problems.append(f"{where}: {answer.status_code} {answer.text}")
                    continue
                body = answer.json()
                self.expect_ids(where, [i["id"] for i in body["items"]], want)
                if body["total"] != len(want) or body["returned"] != len(body["items"]):
                    self.problems.append(
                        f"{where}: total {body['total']} returned {body['returned']} "
                        f"for {len(body['items'])} items; {len(want)} visible"
                    )
                self.expect_clean(where, answer.text, hidden)

    def check_searches(self, user: User, hidden: set[str]) -> None:
        """Searching for a hidden object's text or id finds nothing, and counts nothing."""
        searches: set[tuple[str, str]] = set()
        listed = [n for n in hidden if self.model.objects[n].stix_type in LISTED]
        for name in self.pick(user, listed, 4):
            obj = self.model.objects[name]
            searches.add((obj.stix_type, obj.tokens[-1]))
        for stix_type, ref in self.hidden_links(user, hidden):
            searches.add((stix_type, _uuid(self.ids[ref])))
        for stix_type, q in sorted(searches):
            answer = self.get(user, "/api/reports", type=stix_type, q=q)
            body = answer.json()
            where = f"{user.name} GET /api/reports?type={stix_type}&q={q}"
            if body.get("total") != 0 or body.get("items") != []:
                self.problems.append(
                    f"{where}: total {body.get('total')}, items "
                    f"{[self.names.get(i['id'], i['id']) for i in body.get('items', [])]}"
                )

    def hidden_links(self, user: User, hidden: set[str]) -> set[tuple[str, str]]:
        """(type, hidden object) for each link from a listed object released to the reader
        (a report they see, or a comment on what they cannot see) to a hidden object."""
        found = set()
        for name, obj in self.model.objects.items():
            if obj.stix_type in LISTED and self.model.released_now(name, user.partner, user.peer):
                links = {obj.on, *obj.cells, *obj.parts} & hidden
                found |= {(obj.stix_type, str(r)) for r in links}
        return found

    def pick(self, user: User, hidden: Iterable[str], count: int) -> list[str]:
        """At most `count` hidden objects to ask about one by one: first those the reader saw
        before (their history is what could leak), then comments they would see but for
        what they are about, then the others."""

        def rank(name: str) -> tuple[bool, bool, str]:
            seen = self.model.seen_before(name, user.partner, user.peer)
            orphan = self.model.released_now(name, user.partner, user.peer)
            return not seen, not orphan, name

        return sorted(hidden, key=rank)[:count]

    def check_objects(self, user: User, visible: set[str], hidden: set[str]) -> None:
        """GET /api/objects/{id}: a hidden object answers exactly as a missing one."""

        def ask(stix_id: str) -> httpx.Response:
            return self.get(user, f"/api/objects/{stix_id}")

        for name, stix_id in self.ids.items():
            answer = ask(stix_id)
            where = f"{user.name} GET /api/objects/{name}"
            if name in visible:
                if answer.status_code != 200:
                    self.problems.append(f"{where}: {answer.status_code} for a visible object")
                    continue
                self.expect_clean(where, answer.text, hidden)
                continue
            self.expect_same(where, user, name, answer, ask)

    def expect_same(
        self,
        where: str,
        user: User,
        name: str,
        answer: httpx.Response,
        ask: Callable[[str], httpx.Response],
        read: bool = True,
    ) -> None:
        """The answer about hidden `name` is the answer `ask` gets for a missing id (the ids
        swapped): a 404 for a read, and for a write whatever refusal a missing id gets."""
        stix_id, stix_type = self.ids[name], self.model.objects[name].stix_type
        key = (user.name, where.partition(" ")[2].replace(name, "ID"), stix_type)
        if key not in self.absent:  # one missing id per question and type is enough
            missing = _missing(stix_type)
            self.absent[key] = _shape(ask(missing), missing)
        got = _shape(answer, stix_id)
        refused = answer.status_code == 404 if read else answer.status_code >= 400
        if got != self.absent[key] or not refused:
            self.problems.append(f"{where}: answers {got}, a missing id {self.absent[key]}")
        hidden = set(self.model.objects) - self.visible(user.partner, user.peer)
        self.expect_clean(where, got[1], hidden)

    def check_page(self, user: User, visible: set[str], hidden: set[str]) -> None:
        """The /reports page lists and counts the visible reports; searches find no hidden one."""
        reports = {n for n in visible if self.model.objects[n].stix_type == "report"}
        answer = self.get(user, "/reports")
        where = f"{user.name} GET /reports"
        if answer.status_code != 200:
            self.problems.append(f"{where}: {answer.status_code}")
            return
        self.expect_ids(where, re.findall(r'data-id="([^"]+)"', answer.text), reports)
        self.expect_count(where, answer.text, len(reports))
        self.expect_clean(where, answer.text, hidden)
        # a hidden report's title, and the id of a hidden cell a report links to
        secret = sorted(n for n in hidden if self.model.objects[n].stix_type == "report")
        queries = [self.model.objects[n].tokens[0] for n in self.pick(user, secret, 1)]
        links = sorted(r for t, r in self.hidden_links(user, hidden) if t == "report")
        queries += [_uuid(self.ids[r]) for r in links[:1]]
        for q in queries:
            answer = self.get(user, "/reports", q=q)
            # The search box, and the language switch's way back, say what was asked.
            shown = answer.text.replace(f'value="{q}"', "").replace(f'"/reports?q={q}"', "")
            self.expect_ids(f"{where}?q={q}", re.findall(r'data-id="([^"]+)"', shown), ())
            self.expect_count(f"{where}?q={q}", shown, 0)
            self.expect_clean(f"{where}?q={q}", shown, hidden)

    def expect_count(self, where: str, html: str, count: int) -> None:
        found = re.search(r'id="count">(\d+) reports?<', html)
        if found is None or int(found.group(1)) != count:
            self.problems.append(f"{where}: count {found and found.group(0)}, {count} visible")

    def check_intel(self, user: User, visible: set[str], hidden: set[str]) -> None:
        """TAXII intel: objects (last and all versions, paged), manifest, by id, versions."""
        who = user.name
        everything = self.taxii(user, INTEL_URL + "objects/", **{"match[version]": "all"})
        items = self.envelope(f"{who} intel objects all", everything, "object", hidden)
        content = [o for o in items if o["type"] in CONTENT]
        self.expect_ids(f"{who} intel objects all", {o["id"] for o in content}, visible)
        latest = self.taxii(user, INTEL_URL + "objects/")
        last = self.envelope(f"{who} intel objects", latest, "object", hidden)
        self.expect_ids(
            f"{who} intel objects", [o["id"] for o in last if o["type"] in CONTENT], visible
        )
        paged = self.pages(
            user, INTEL_URL + "objects/", "object", hidden, **{"match[version]": "all"}
        )
        if sorted(_key(o) for o in paged) != sorted(_key(o) for o in items):
            self.problems.append(f"{who} intel objects paged: differ from one page")
        manifest = self.taxii(user, INTEL_URL + "manifest/", **{"match[version]": "all"})
        self.manifest(f"{who} intel manifest", manifest, visible, hidden)
        every = {"match[version]": "all"}
        for name in self.pick(user, hidden, 3):
            for path in ("objects/{}/", "objects/{}/versions/"):

                def ask(i: str, path: str = path) -> httpx.Response:
                    return self.taxii(user, INTEL_URL + path.format(i), **every)

                where = f"{who} intel {path.format(name)}"
                self.expect_same(where, user, name, ask(self.ids[name]), ask)

    def check_withdrawals(self, user: User, visible: set[str], hidden: set[str]) -> None:
        """Tombstones only for what the reader could see before, naming nothing else hidden."""
        who = user.name
        told = {n for n in hidden if self.model.seen_before(n, user.partner, user.peer)}
        answer = self.taxii(user, WITHDRAWALS_URL + "objects/")
        stones = self.envelope(f"{who} withdrawals objects", answer, "tombstone", hidden - told)
        for stone in stones:
            name = self.names.get(stone["id"], stone["id"])
            where = f"{who} withdrawals tombstone of {name}"
            if stone.get("revoked") is not True:
                self.problems.append(f"{where}: not revoked")
            if name not in told | visible:
                self.problems.append(f"{where}: they never saw it")
            self.expect_clean(where, orjson.dumps(stone).decode(), hidden - {name})
        paged = self.pages(user, WITHDRAWALS_URL + "objects/", "tombstone", hidden - told)
        if sorted(_key(o) for o in paged) != sorted(_key(o) for o in stones):
            self.problems.append(f"{who} withdrawals paged: differ from one page")
        manifest = self.taxii(user, WITHDRAWALS_URL + "manifest/")
        self.manifest(f"{who} withdrawals manifest", manifest, told | visible, hidden - told)
        for name in self.pick(user, hidden - told, 2):
            for path in ("objects/{}/", "objects/{}/versions/"):

                def ask(i: str, path: str = path) -> httpx.Response:
                    return self.taxii(user, WITHDRAWALS_URL + path.format(i))

                where = f"{who} withdrawals {path.format(name)}"
                self.expect_same(where, user, name, ask(self.ids[name]), ask)

    def envelope(
        self, where: str, answer: httpx.Response, kind: str, hidden: Iterable[str]
    ) -> list[dict[str, Any]]:
        """A TAXII envelope's objects, checked for traces, with its X-TAXII headers."""
        if answer.status_code != 200:
            self.problems.append(f"{where}: {answer.status_code} {answer.text}")
            return []
        body = answer.json()
        items: list[dict[str, Any]] = body.get("objects", [])
        self.expect_clean(where, answer.text + _decoded_next(body) + _header_text(answer), hidden)
        self.expect_dates(where, answer, [self.date_added(kind, o) for o in items])
        return items

    def pages(
        self, user: User, url: str, kind: str, hidden: Iterable[str], **params: Any
    ) -> list[dict[str, Any]]:
        """Every object, three per page, following `next`; each page checked on its own."""
        found: list[dict[str, Any]] = []
        params = {**params, "limit": 3}
        for page in range(200):
            answer = self.taxii(user, url, **params)
            found += self.envelope(f"{user.name} {url} page {page}", answer, kind, hidden)
            body = answer.json() if answer.status_code == 200 else {}
            if not body.get("more"):
                return found
            params["next"] = body["next"]
        raise AssertionError(f"{url}: more than 200 pages")

    def manifest(
        self, where: str, answer: httpx.Response, allowed: set[str], hidden: Iterable[str]
    ) -> None:
        if answer.status_code != 200:
            self.problems.append(f"{where}: {answer.status_code} {answer.text}")
            return
        body = answer.json()
        entries = body.get("objects", [])
        shown = {self.names[e["id"]] for e in entries if e["id"] in self.names}
        if shown - allowed:
            self.problems.append(f"{where}: lists {sorted(shown - allowed)}")
        self.expect_clean(where, answer.text + _decoded_next(body) + _header_text(answer), hidden)
        self.expect_dates(where, answer, [_date(e["date_added"]) for e in entries])

    def date_added(self, kind: str, obj: dict[str, Any]) -> int | None:
        """When the node stored this version (read from the table, to check the headers)."""
        version = stix.to_micros(stix.parse_stix_time(str(obj.get("modified", obj["created"]))))
        key = (kind, str(obj["id"]), version)
        if key not in self.dates:
            o = stix_objects
            with reading(self.engine) as conn:
                rows = conn.execute(sa.select(o.c.kind, o.c.stix_id, o.c.version, o.c.date_added))
                self.dates = {(str(k), str(i), int(v)): int(d) for k, i, v, d in rows}
        return self.dates.get(key)

    def expect_dates(self, where: str, answer: httpx.Response, dates: list[int | None]) -> None:
        """X-TAXII-Date-Added-First/Last cover exactly what is shown (nothing hidden)."""
        if None in dates:
            self.problems.append(f"{where}: serves a version the node does not hold")
            return
        first = answer.headers.get("X-TAXII-Date-Added-First")
        last = answer.headers.get("X-TAXII-Date-Added-Last")
        want = (_taxii_time(dates[0]), _taxii_time(dates[-1])) if dates else (None, None)
        if (first, last) != want:
            self.problems.append(f"{where}: X-TAXII-Date-Added {first}..{last}, shown {want}")

    def check_bundles(self, user: User, visible: set[str], hidden: set[str]) -> None:
        answer = self.get(user, "/api/stix/bundle")
        where = f"{user.name} GET /api/stix/bundle"
        self.expect_ids(where, _content_ids(answer.json()), visible)
        self.expect_clean(where, answer.text, hidden)
        with reading(self.engine) as conn:
            bundle = exchange.export_bundle(conn, self.principals[user.name].viewer)
        where = f"export_bundle({user.name})"
        self.expect_ids(where, _content_ids(bundle), visible)
        self.expect_clean(where, orjson.dumps(bundle).decode(), hidden)

    def check_node_bundles(self) -> None:
        """export_bundle for each partner's node account, as a peer would pull it."""
        with reading(self.engine) as conn:
            parents = partner_parents(conn)
            for code, _ in self.scenario.partners:
                bundle = exchange.export_bundle(conn, node_viewer(code, parents))
                visible = self.visible(code, True)
                where = f"export_bundle(node_viewer({code}))"
                self.expect_ids(where, _content_ids(bundle), visible)
                hidden = set(self.model.objects) - visible
                self.expect_clean(where, orjson.dumps(bundle).decode(), hidden)

    def check_write_errors(self, user: User) -> None:
        """A writer who names an object not released to them is told what a missing id gets.

        (A comment of theirs on something they lost sight of is still theirs to re-mark or
        withdraw, so only objects whose own marking keeps them out are probed.)"""
        targets = sorted(
            n
            for n in self.model.objects
            if self.model.objects[n].stix_type != "location"
            and not self.model.released_now(n, user.partner, user.peer)
        )
        for name in targets[: self.probes]:
            for method, path, body in _write_probes(self.model.objects[name].stix_type):

                def ask(i: str, method: str = method, path: str = path, body: Any = body) -> Any:
                    return self.write(user, method, path.format(i), body, i)

                where = f"{user.name} {method} {path.format(name)}"
                self.expect_same(where, user, name, ask(self.ids[name]), ask, read=False)

    def write(self, user: User, method: str, path: str, body: Any, stix_id: str) -> httpx.Response:
        taxii = path.startswith("/taxii2/")
        headers = self.auth(user.name, Accept=TAXII) if taxii else self.auth(user.name)
        content = orjson.loads(orjson.dumps(body).replace(b"ID", stix_id.encode()))
        if method == "DELETE":
            return self.client.delete(path, headers=headers)
        return self.client.request(method, path, json=content, headers=headers)


def _write_probes(stix_type: str) -> Iterator[tuple[str, str, Any]]:
    yield "POST", "/api/comments", {"kind": "note", "on": "ID", "text": "probe", "tlp": "red"}
    yield "POST", "/api/objects/{}/marking", {"tlp": "clear"}
    yield "POST", "/api/objects/{}/withdraw", None
    yield "PATCH", "/api/reports/{}", {"title": "probe"}
    yield "DELETE", INTEL_URL + "objects/{}/", None
    if stix_type == "intrusion-set":
        yield "POST", "/api/reports", {"title": "probe", "cells": ["ID"], "tlp": "red"}


Shape = tuple[int, str, tuple[tuple[str, str], ...]]


def _shape(answer: httpx.Response, stix_id: str) -> Shape:
    """An answer with the id it is about blanked out, to compare with another id's."""
    return answer.status_code, answer.text.replace(stix_id, "ID"), _headers(answer)


def _headers(answer: httpx.Response) -> tuple[tuple[str, str], ...]:
    """The headers that could tell two answers apart (not length, which follows the id)."""
    skip = {"content-length", "date", "x-tansiq-error-id"}
    return tuple(sorted((k, v) for k, v in answer.headers.items() if k.lower() not in skip))


def _header_text(answer: httpx.Response) -> str:
    return "\n".join(f"{k}: {v}" for k, v in answer.headers.items())


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    return str(obj["id"]), str(obj.get("modified", obj.get("created")))


def _content_ids(bundle: dict[str, Any]) -> list[str]:
    return [o["id"] for o in bundle.get("objects", []) if o["type"] in CONTENT]


def run(scenario: Scenario, engine: Engine, app_settings: Settings, locator: AreaLocator) -> None:
    note(repr(scenario))
    app = create_app(app_settings, engine, locator)
    with TestClient(app) as client:
        node = Node(scenario, engine, client)
        node.setup()
        node.tell()
        for name, stix_id in sorted(node.ids.items()):
            note(f"{name} = {stix_id}")
        node.check_everyone()
    if node.problems:
        raise AssertionError(f"{len(node.problems)} leaks:\n" + "\n".join(node.problems[:60]))


# --- the tests -------------------------------------------------------------------------------


# An example costs 1-3 s of HTTP through the TestClient (a fresh node, a story, ~150
# requests), so hypothesis does not shrink: shrinking would outlast pytest's timeout. A failure
# prints the whole story (Scenario's repr) and names every leak with the path it took.
EXPLORE = settings(
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(EXPLORE, max_examples=30)
@given(scenario=scenarios(max_acts=8))
def test_nothing_reaches_whom_it_is_not_released_to(
    scenario: Scenario, tmp_path_factory: pytest.TempPathFactory, locator: AreaLocator
) -> None:
    """On SQLite, a fresh database file per example."""
    path: Path = tmp_path_factory.mktemp("leaks") / "node.db"
    url = sqlite_url(path)
    engine = create_db_engine(url)
    try:
        migrate.upgrade(engine)
        run(scenario, engine, Settings(db=url), locator)
    finally:
        engine.dispose()


def _empty(engine: Engine) -> None:
    """Back to a migrated database with no partner, user or object (areas stay)."""
    with writing(engine) as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name not in KEPT_TABLES:
                conn.execute(table.delete())


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
@settings(EXPLORE, max_examples=5)
@given(scenario=scenarios(max_acts=6))
def test_nothing_leaks_on_postgresql(
    scenario: Scenario, engine: Engine, settings: Settings, locator: AreaLocator
) -> None:
    """The same property on the PostgreSQL `engine`, emptied before each example."""
    _empty(engine)
    run(scenario, engine, settings, locator)
