"""Every error tansiq raises on purpose, each with the HTTP status it maps to.

    TansiqError (500)
    ├── InvalidInput (400)            a client's value is wrong: a filter, a date, a pcode
    │   ├── ImportRejected (422)      an import file failed validation; nothing was stored
    │   ├── BadSignature (422)        a tombstone no trusted partner signed; nothing changed
    │   └── Conflict (409)            the object's state does not allow it: a move from a state
    │                                 that has none such, something registered already
    ├── Unauthorized (401)            no or bad credentials
    │   └── LoginRequired (303)       a page asked for without a session: go to the login page
    ├── Forbidden (403)               the caller may see it but not do this (role, read-only copy)
    ├── NotFound (404)                no such object, or one the caller may not see
    ├── PeerUnavailable (502)         a peer node did not answer, or answered nonsense
    │   └── PeerKeyChanged (502)      a peer's signing key is not the one pinned for it
    ├── StoreNotReady (503)           the database is missing or not migrated: run `tansiq init`
    └── ReferenceDataError (500)      shipped geography is missing or damaged

The API renders all of them as application/problem+json in one handler (tansiq.api.problems);
the CLI prints the message and exits 1. A forbidden object raises NotFound, exactly like a
missing one, so that an error never reveals what exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class TansiqError(Exception):
    """Base of tansiq's own errors."""

    status = 500
    title = "Internal error"


class InvalidInput(TansiqError):
    status = 400
    title = "Invalid input"


class Conflict(InvalidInput):
    """The request is well formed but the object's state does not allow it (an illegal move,
    a duplicate): asking again will not help until the state changes."""

    status = 409
    title = "Conflict"


class Unauthorized(TansiqError):
    status = 401
    title = "Unauthorized"


class LoginRequired(Unauthorized):
    """A page was asked for without a session: the browser is sent to the login page, and
    comes back to `path` afterwards."""

    def __init__(self, path: str) -> None:
        super().__init__("log in to see this page")
        self.path = path


class TooManyAttempts(TansiqError):
    """Logins refused for a while after too many wrong passwords (tansiq.api.throttle)."""

    status = 429
    title = "Too many attempts"

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        self.minutes = max(1, -(-retry_after_s // 60))
        super().__init__(f"too many failed logins: try again in {self.minutes} min")


class Forbidden(TansiqError):
    status = 403
    title = "Forbidden"


class NotFound(TansiqError):
    status = 404
    title = "Not found"


class PeerUnavailable(TansiqError):
    status = 502
    title = "Peer unavailable"


class PeerKeyChanged(PeerUnavailable):
    """A peer answers with a signing key other than the pinned one: it may be an impostor, or
    its node was rebuilt. Refused until an administrator re-pins the key."""

    title = "Peer key changed"


class BadSignature(InvalidInput):
    """A received tombstone is unsigned, or signed by no partner this node trusts for it."""

    status = 422
    title = "Bad signature"


class StoreNotReady(TansiqError):
    status = 503
    title = "Database not initialised"


class ReferenceDataError(TansiqError):
    status = 500
    title = "Reference data unavailable"


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected input row: where it is and what is wrong with it."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


class ImportRejected(InvalidInput):
    """A file failed validation and was rejected whole; the database is unchanged."""

    status = 422
    title = "Import rejected"

    def __init__(self, path: str, errors: Sequence[RowError], total: int) -> None:
        self.path = path
        self.errors = list(errors)
        self.total = total
        shown = "\n".join(f"  {e}" for e in self.errors)
        more = f"\n  ... and {total - len(self.errors)} more" if total > len(self.errors) else ""
        super().__init__(
            f"{path}: rejected, {total} invalid row(s); nothing was stored.\n{shown}{more}"
        )

    def __reduce__(self) -> tuple[type[ImportRejected], tuple[str, list[RowError], int]]:
        # Rebuilt from its parts when it crosses a process boundary (the import reader).
        return (ImportRejected, (self.path, self.errors, self.total))
