"""The one Settings object: built once at the entry point (CLI or app factory) and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_FILE = "tansiq.db"


def sqlite_url(path: Path | str) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


class Settings(BaseSettings):
    """Node settings, read from `TANSIQ_*` environment variables and CLI options."""

    model_config = SettingsConfigDict(env_prefix="TANSIQ_", extra="ignore")

    db: str = Field(
        default_factory=lambda: sqlite_url(DEFAULT_DB_FILE),
        description="Database URL: a SQLite file (default) or postgresql+psycopg://...",
    )
    host: str = Field(default="127.0.0.1", description="Address `tansiq serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `tansiq serve` listens on.")
    import_batch_rows: int = Field(
        default=20_000, ge=1, description="Rows validated, located and written per batch on import."
    )
    max_reported_errors: int = Field(
        default=20, ge=1, description="How many rejected rows an import names in its error message."
    )
    max_outside_km: float = Field(
        default=25.0, ge=0, description="How far outside Iraq an event may lie and still be valid."
    )
    incidents_page_limit: int = Field(
        default=50_000, ge=1, description="Most incidents one HTTP response carries."
    )
    viewport_point_cap: int = Field(
        default=2_000,
        ge=0,
        description="Most incidents a map view below the points zoom shows as points; "
        "more are shown as counts on a grid.",
    )
    viewport_points_zoom: int = Field(
        default=13,
        ge=0,
        description="Zoom from which the map shows points, however many (up to the page limit).",
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Wrong passwords for one user name after which logins for it are refused "
        "for `login_lockout_minutes`.",
    )
    login_max_failures_per_address: int = Field(
        default=30,
        ge=1,
        description="Wrong passwords from one client address after which logins from it are "
        "refused for `login_lockout_minutes` (a watch floor may share one address).",
    )
    login_lockout_minutes: float = Field(
        default=15,
        gt=0,
        description="How long logins stay refused after the last of too many wrong passwords.",
    )
    grid_fold_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often the server folds newly imported incidents into the map's grid "
        "(0: never; the map stays exact, only slower).",
    )
    deadline_sweep_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often the server escalates operations whose approval deadline passed "
        "and tasks overdue (0: never; run `tansiq ops escalate` and `tansiq tasks escalate`).",
    )
    taxii_default_limit: int = Field(
        default=100, ge=1, description="TAXII page size when the client sends no limit."
    )
    taxii_max_limit: int = Field(
        default=1000, ge=1, description="Largest TAXII page; a bigger limit is capped."
    )
    taxii_max_content_length: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest TAXII POST body, in bytes."
    )
    taxii_validation_batch: int = Field(
        default=200,
        ge=1,
        description="Quarantined inbox objects validated and stored per transaction.",
    )
    sync_page_size: int = Field(default=1000, ge=1, description="Objects per sync request.")
    sync_timeout_s: float = Field(default=60.0, gt=0, description="Seconds to wait for a peer.")
    ops_sides: tuple[str, ...] = Field(
        default=("joc", "krg"),
        min_length=1,
        description="The partners whose approvers hold the keys of a joint operation (JSON list); "
        "a user's side is their partner's top-level partner.",
    )
    ops_escalation: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "joc": ["Joint Operations Command duty general"],
            "krg": ["Ministry of Peshmerga Affairs duty officer"],
        },
        description="Who an operation's decision is escalated to when its approval deadline "
        "passes, level by level, per side (JSON object of lists; the last name repeats).",
    )
    ops_contacts: dict[str, str] = Field(
        default_factory=lambda: {
            "joc": "JOC joint operations room duty officer",
            "krg": "KRG Ministry of Peshmerga Affairs operations room duty officer",
        },
        description="Whom the other side calls about a partner's operation (a conflict's only "
        "detail), by partner code or side (JSON object).",
    )
    ops_sla_hours: dict[str, float] = Field(
        default_factory=dict,
        description="Approval deadline in hours per operation type, overriding the defaults "
        "(raid 6, escort 12, patrol 24, checkpoint-move 24, clearance 48; JSON object).",
    )

    def with_db(self, db: str | None) -> Settings:
        """A copy with the database URL replaced (a CLI `--db` option), or self."""
        return self.model_copy(update={"db": db}) if db else self
