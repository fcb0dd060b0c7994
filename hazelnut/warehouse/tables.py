"""Every warehouse table and its columns, the schema both backends create.

Types are the portable subset of ClickHouse 18.16 and current releases: no DateTime64 and no
LowCardinality. Milliseconds travel in separate integer columns where they matter. The SQL
backend maps each type onto its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # UInt8, UInt32, UInt64, Int64, Float64, Decimal, String, Date, DateTime


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    time_column: str
    order_by: tuple[str, ...]
    # ClickHouse keeps the row with the highest value of this column per ORDER BY key
    # (ReplacingMergeTree); the SQL backend replaces rows itself. None: plain append.
    version_column: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _columns(spec: str) -> tuple[Column, ...]:
    pairs = (line.split() for line in spec.strip().splitlines())
    return tuple(Column(name, type_) for name, type_ in pairs)


CLICKS = Table(
    "clicks",
    _columns("""
        project_id UInt64
        click_id String
        campaign_id UInt64
        campaign_display_id String
        network String
        clicked_at DateTime
        ip String
        platform String
        os_version String
        device_type String
        in_app_browser String
        is_view UInt8
        utm_source String
        utm_medium String
        utm_campaign String
        utm_term String
        utm_content String
    """),
    "clicked_at",
    ("project_id", "clicked_at"),
)

PAGE_VIEWS = Table(
    "page_views",
    _columns("""
        project_id UInt64
        event_id String
        visitor_id String
        session_id String
        event_type String
        event_name String
        page_url String
        referring_domain String
        traffic_source_type String
        traffic_source_name String
        utm_source String
        utm_medium String
        utm_campaign String
        ip String
        user_agent String
        occurred_at DateTime
    """),
    "occurred_at",
    ("project_id", "occurred_at"),
)

# One row per attribution: a first install, a reinstall (is_reinstall) or a re-engagement
# (is_reengagement, with installed_at = the moment of the re-engagement). Organic: campaign_id 0.
INSTALLS = Table(
    "installs",
    _columns("""
        project_id UInt64
        install_id UInt64
        install_instance_id String
        platform String
        attribution_type String
        source String
        campaign_id UInt64
        campaign_display_id String
        network String
        is_reinstall UInt8
        is_reengagement UInt8
        installed_at DateTime
        attributed_at DateTime
        click_to_install_seconds Int64
    """),
    "installed_at",
    ("project_id", "installed_at"),
)

# kind: signup, payment, payment_removed or custom. event_key identifies the event for
# deduplication ("signup:<user identity id>", "payment:<payment id>", "custom:<event id>"); a
# payment_removed row repeats its payment's event_key, amount and occurred_at. install_id and
# installed_at are the install's, for retention; payment rows are completed payments only.
USER_EVENTS = Table(
    "user_events",
    _columns("""
        project_id UInt64
        install_id UInt64
        user_id String
        kind String
        name String
        event_key String
        campaign_id UInt64
        network String
        amount Decimal
        currency String
        occurred_at DateTime
        installed_at DateTime
        platform String
    """),
    "occurred_at",
    ("project_id", "occurred_at"),
)

POSTBACK_ATTEMPTS = Table(
    "postback_attempts",
    _columns("""
        project_id UInt64
        delivery_id UInt64
        destination String
        event_kind String
        attempt UInt32
        status_code UInt32
        outcome String
        latency_ms UInt32
        error String
        attempted_at DateTime
    """),
    "attempted_at",
    ("project_id", "attempted_at"),
)

ANALYTICS_DELIVERIES = Table(
    "analytics_deliveries",
    _columns("""
        project_id UInt64
        platform String
        event_kind String
        status_code UInt32
        outcome String
        latency_ms UInt32
        error String
        attempted_at DateTime
    """),
    "attempted_at",
    ("project_id", "attempted_at"),
)

# Materialized by `Warehouse.rollup()`: one row per (project, day, campaign), recomputed whole.
CAMPAIGN_DAILY = Table(
    "campaign_daily",
    _columns("""
        project_id UInt64
        day Date
        campaign_id UInt64
        clicks UInt64
        installs UInt64
        reinstalls UInt64
        reengagements UInt64
        signups UInt64
        payments Int64
        revenue Decimal
        d1_retained UInt64
        d7_retained UInt64
        computed_at DateTime
    """),
    "day",
    ("project_id", "day", "campaign_id"),
    version_column="computed_at",
)

# Results of `manage.py whatif_windows`: one row per install and run, apart from live data.
WHATIF_INSTALLS = Table(
    "whatif_installs",
    _columns("""
        run_id String
        project_id UInt64
        install_id UInt64
        installed_at DateTime
        click_lookback_hours UInt32
        probabilistic_window_hours UInt32
        live_campaign_id UInt64
        whatif_campaign_id UInt64
        whatif_rule String
        computed_at DateTime
    """),
    "installed_at",
    ("project_id", "run_id", "install_id"),
)

EVENT_TABLES = (CLICKS, PAGE_VIEWS, INSTALLS, USER_EVENTS, POSTBACK_ATTEMPTS, ANALYTICS_DELIVERIES)
TABLES: dict[str, Table] = {
    table.name: table for table in (*EVENT_TABLES, CAMPAIGN_DAILY, WHATIF_INSTALLS)
}
