"""The schema and its migrations: every table and view of the store, numbered, applied once each.

A new column or table is a new numbered migration at the end of :data:`MIGRATIONS`; a file made by
an older version is brought up to date when it is opened (:func:`migrate`).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from .. import contract
from ..figures import rollups


def _base_schema() -> list[str]:
    stmts = [
        """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS villages (name VARCHAR PRIMARY KEY)""",
        """CREATE TABLE IF NOT EXISTS zones (name VARCHAR PRIMARY KEY)""",
        """CREATE TABLE IF NOT EXISTS cooperatives (
             name VARCHAR PRIMARY KEY,
             village VARCHAR,
             created_at TIMESTAMP DEFAULT current_timestamp,
             created_by_upload BIGINT)""",
        # One row per shed / farm / plot. Village, zone and land are unit attributes:
        # uploads may set them, the admin page corrects them.
        """CREATE TABLE IF NOT EXISTS units (
             sector VARCHAR NOT NULL,
             cooperative VARCHAR NOT NULL,
             unit VARCHAR NOT NULL,
             gh_type VARCHAR,
             village VARCHAR,
             zone VARCHAR,
             land_mu DOUBLE,
             created_at TIMESTAMP DEFAULT current_timestamp,
             created_by_upload BIGINT,
             PRIMARY KEY (sector, cooperative, unit))""",
        """CREATE TABLE IF NOT EXISTS targets (
             year INTEGER NOT NULL,
             sector VARCHAR NOT NULL,
             metric VARCHAR NOT NULL,
             value DOUBLE NOT NULL,
             PRIMARY KEY (year, sector, metric))""",
        """CREATE SEQUENCE IF NOT EXISTS upload_seq START 1""",
        """CREATE TABLE IF NOT EXISTS uploads (
             upload_id BIGINT PRIMARY KEY,
             sha256 VARCHAR NOT NULL,
             filename VARCHAR,
             sector VARCHAR,
             uploaded_by VARCHAR,
             uploaded_at TIMESTAMP DEFAULT current_timestamp,
             n_rows INTEGER,
             n_new INTEGER,
             n_replaced INTEGER,
             months VARCHAR,
             status VARCHAR NOT NULL DEFAULT 'applied',
             undone_by VARCHAR,
             undone_at TIMESTAMP,
             stored_path VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS users (
             username VARCHAR PRIMARY KEY,
             display_name VARCHAR,
             role VARCHAR NOT NULL,
             cooperative VARCHAR,
             password_hash VARCHAR NOT NULL,
             disabled BOOLEAN NOT NULL DEFAULT false,
             failed_logins INTEGER NOT NULL DEFAULT 0,
             locked_until TIMESTAMP,
             created_at TIMESTAMP DEFAULT current_timestamp)""",
    ]
    for s in contract.SECTORS.values():
        stmts.append(contract.record_table_ddl(s))
        stmts.append(contract.history_table_ddl(s))
    return stmts


def _views() -> list[str]:
    """Staging views: each sector's records joined to its unit attributes, one shape."""
    stmts = []
    for s in contract.SECTORS.values():
        # Sector keys and table names from contract.py, no input.
        stmts.append(f"""
            CREATE OR REPLACE VIEW v_{s.key} AS
            SELECT r.*, u.village, u.zone, u.land_mu,
                   u.gh_type AS unit_gh_type, year(r.month) AS year
            FROM {s.table} r
            JOIN units u ON u.sector = '{s.key}' AND u.cooperative = r.cooperative
                        AND u.unit = r.unit""")  # noqa: S608
    return stmts


def _undo_tables() -> list[str]:
    """What an upload changed outside the record tables, so that undo restores it exactly:
    unit attributes it overwrote, and village / zone names it registered."""
    return [
        """CREATE TABLE IF NOT EXISTS units_history (
             sector VARCHAR NOT NULL,
             cooperative VARCHAR NOT NULL,
             unit VARCHAR NOT NULL,
             gh_type VARCHAR,
             village VARCHAR,
             zone VARCHAR,
             land_mu DOUBLE,
             replaced_by BIGINT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS upload_names (
             upload_id BIGINT NOT NULL,
             kind VARCHAR NOT NULL,
             name VARCHAR NOT NULL)""",
    ]


def _audit_and_login_tables() -> list[str]:
    """Who did what as an administrator, and failed logins counted per user and per address.

    ``login_failures`` holds one row per (username, address) and one per address alone
    (username ''), so a stranger's wrong guesses lock the stranger's address, not the account.
    ``v_audit`` adds undone uploads (``uploads.undone_by/undone_at``, written in the undo's own
    transaction) to the audit table, so every undo is listed without a second write.
    """
    return [
        """CREATE SEQUENCE IF NOT EXISTS audit_seq START 1""",
        """CREATE TABLE IF NOT EXISTS audit_log (
             audit_id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
             done_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
             actor VARCHAR NOT NULL,
             action VARCHAR NOT NULL,
             target VARCHAR,
             detail VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS login_failures (
             username VARCHAR NOT NULL,
             address VARCHAR NOT NULL,
             failures INTEGER NOT NULL DEFAULT 0,
             last_failure TIMESTAMP,
             locked_until TIMESTAMP,
             PRIMARY KEY (username, address))""",
        """CREATE OR REPLACE VIEW v_audit AS
           SELECT done_at, actor, action, target, detail FROM audit_log
           UNION ALL
           SELECT undone_at, undone_by, 'undo_upload', CAST(upload_id AS VARCHAR), filename
           FROM uploads WHERE status = 'undone' AND undone_at IS NOT NULL""",
    ]


def _sessions() -> list[str]:
    """Logins that last across reloads and tabs (analytics.access sessions): the browser keeps a
    random token in a cookie; only its SHA-256 is stored, so a copy of the database opens
    no session. An ended session keeps its row (with when and why) until it would have run
    out, so its token is refused with the reason. No foreign key to users: resuming a
    session checks the account anyway."""
    return [
        """CREATE TABLE IF NOT EXISTS sessions (
             token_hash VARCHAR PRIMARY KEY,
             username VARCHAR NOT NULL,
             created_at TIMESTAMP NOT NULL,
             last_seen TIMESTAMP NOT NULL,
             expires_at TIMESTAMP NOT NULL,
             ended_at TIMESTAMP,
             ended_why VARCHAR)""",
    ]


def _name_aliases() -> list[str]:
    """Names an admin mapped to registered ones at upload ("青禾生猪合作社" is 青禾生猪养殖专业合作社),
    so next month's file maps by itself; an undo removes the aliases its upload created."""
    return [
        """CREATE TABLE IF NOT EXISTS name_aliases (
             kind VARCHAR NOT NULL,
             sector VARCHAR NOT NULL,
             cooperative VARCHAR NOT NULL,
             alias VARCHAR NOT NULL,
             name VARCHAR NOT NULL,
             created_by_upload BIGINT,
             created_at TIMESTAMP DEFAULT current_timestamp,
             PRIMARY KEY (kind, sector, cooperative, alias))""",
    ]


def _towns_and_rollups() -> list[str]:
    """Towns (乡镇) above cooperatives, integer unit ids, and the small tables kept on write.

    - ``towns`` and ``cooperatives.town``: a cooperative belongs to one town. The store's
      first town is registered right after migrating (``PARK_TOWN``, see ``_ensure_town``).
    - ``units.unit_id``: an integer key, so rollups group and join on a number, not on
      (sector, cooperative, unit) strings.
    - ``coop_months``: records per (sector, cooperative, month) with the version of the
      write that last touched them: the month and year lists, the reporting status and the
      scoped cache versions come from it instead of scanning the records.
    - ``unit_year_<sector>``: the per-unit step of every KPI rolled up per year (kpis.py).
    The staging views gain ``unit_id`` and ``town``.
    """

    stmts = [
        """CREATE TABLE IF NOT EXISTS towns (
             name VARCHAR PRIMARY KEY,
             created_at TIMESTAMP DEFAULT current_timestamp)""",
        "ALTER TABLE cooperatives ADD COLUMN town VARCHAR",
        "CREATE SEQUENCE IF NOT EXISTS unit_id_seq START 1",
        "ALTER TABLE units ADD COLUMN unit_id BIGINT DEFAULT nextval('unit_id_seq')",
    ]
    for s in contract.SECTORS.values():
        stmts.append(f"""
            CREATE OR REPLACE VIEW v_{s.key} AS
            SELECT r.*, u.unit_id, u.village, u.zone, u.land_mu,
                   u.gh_type AS unit_gh_type, year(r.month) AS year, c.town
            FROM {s.table} r
            JOIN units u ON u.sector = '{s.key}' AND u.cooperative = r.cooperative
                        AND u.unit = r.unit
            LEFT JOIN cooperatives c ON c.name = r.cooperative""")  # noqa: S608 — names from contract.py
    return stmts + rollups.rollup_rebuild_sql(version=0)


def _upload_cooperatives() -> list[str]:
    """The cooperatives an upload wrote, kept on the upload itself: once a later correction
    replaced all its rows, or it was undone, its records no longer say (the upload log needs it)."""
    parts = " UNION ".join(
        f"SELECT upload_id, cooperative FROM {s.table} WHERE upload_id IS NOT NULL "  # noqa: S608 — names from contract.py
        f"UNION SELECT upload_id, cooperative FROM {s.table}_history "
        f"UNION SELECT replaced_by, cooperative FROM {s.table}_history"
        for s in contract.SECTORS.values())
    return [
        "ALTER TABLE uploads ADD COLUMN cooperatives VARCHAR",
        f"""UPDATE uploads SET cooperatives = c.coops FROM (
              SELECT upload_id, string_agg(DISTINCT cooperative, '、' ORDER BY cooperative) AS coops
              FROM ({parts}) GROUP BY upload_id) c
            WHERE uploads.upload_id = c.upload_id AND uploads.sha256 <> 'demo'""",  # noqa: S608 — names from contract.py
    ]


def _upload_explanations() -> list[str]:
    """The 上报说明 an uploader gave for values outside the usual ranges (contract.RATES), kept with
    the values: per upload and per record key (sector, month, cooperative, unit), with the checks
    they answer, so a review and a value's history can show them."""
    return [
        """CREATE TABLE IF NOT EXISTS upload_explanations (
             upload_id BIGINT NOT NULL,
             sector VARCHAR NOT NULL,
             month DATE NOT NULL,
             cooperative VARCHAR NOT NULL,
             unit VARCHAR NOT NULL,
             sheet VARCHAR,
             row_number INTEGER,
             checks VARCHAR NOT NULL,
             explanation VARCHAR NOT NULL,
             created_at TIMESTAMP DEFAULT current_timestamp)""",
        "CREATE INDEX IF NOT EXISTS upload_explanations_key "
        "ON upload_explanations (sector, cooperative, unit, month)",
    ]


def _submissions() -> list[str]:
    """The monthly reporting cycle (DESIGN.md §9): submissions awaiting review, kept apart from
    the records.

    - ``submissions``: one row per file a cooperative manager submitted (state ``pending``
      待审核, ``returned`` 已退回 with a reason, ``accepted`` 已通过 with the upload that applied
      it, ``superseded`` 已撤回 by a later submission of the same cooperative × sector × month),
      and one ``accepted`` row per upload the office applied directly, so the reporting status
      knows when each month was accepted.
    - ``submission_months``: the (sector, cooperative, month) a submission covers.
    - ``pending_<sector>``: a submission's parsed rows, the record table's columns plus
      ``submission_id``, ``carried`` (the measures the row's sheet carries, comma-joined) and
      the unit attributes the file gave (village, zone, land):
      applied through the upload's own path on acceptance, never counted before.
    - ``report_deadlines``: a month whose deadline the office moved (else the Nth day of the
      following month, ``PARK_REPORT_DEADLINE_DAY``).

    An existing store has nothing to convert: every record in it is accepted, and months without
    a submission row count as accepted when their records exist.
    """
    stmts = [
        "CREATE SEQUENCE IF NOT EXISTS submission_seq START 1",
        """CREATE TABLE IF NOT EXISTS submissions (
             submission_id BIGINT PRIMARY KEY,
             sha256 VARCHAR NOT NULL,
             filename VARCHAR,
             stored_path VARCHAR,
             sector VARCHAR NOT NULL,
             cooperatives VARCHAR,
             months VARCHAR,
             n_rows INTEGER,
             submitted_by VARCHAR NOT NULL,
             submitted_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
             state VARCHAR NOT NULL,
             reviewed_by VARCHAR,
             reviewed_at TIMESTAMP,
             reason VARCHAR,
             upload_id BIGINT,
             warnings VARCHAR,
             explanations VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS submission_months (
             submission_id BIGINT NOT NULL,
             sector VARCHAR NOT NULL,
             cooperative VARCHAR NOT NULL,
             month DATE NOT NULL,
             n_units INTEGER,
             PRIMARY KEY (submission_id, cooperative, month))""",
        """CREATE TABLE IF NOT EXISTS report_deadlines (
             month DATE PRIMARY KEY,
             deadline DATE NOT NULL,
             set_by VARCHAR,
             set_at TIMESTAMP DEFAULT current_timestamp)""",
    ]
    for s in contract.SECTORS.values():
        ddl = contract.record_table_ddl(s).replace(f"CREATE TABLE IF NOT EXISTS {s.table} (",
                                                   f"CREATE TABLE IF NOT EXISTS pending_{s.key} (")
        attrs = "".join(f",\n  {c.key} {c.sql_type}" for c in s.attrs)
        stmts.append(ddl.replace("upload_id BIGINT", f"submission_id BIGINT NOT NULL,\n  carried VARCHAR{attrs}"))
    return stmts


def _unit_month_gaps() -> list[str]:
    """``unit_month_gaps``: the months each unit fell silent after reporting the month before,
    kept on write beside the rollups (figures.rollups). Completeness and coverage read it and
    ``coop_months`` instead of an anti-join over every unit-month (issue 19.6)."""
    return rollups.gaps_rebuild_sql()


def _warnings() -> list[str]:
    """预警 (analytics.figures.warnings): the 正常保有量 of breeding sows the office sets per town (头),
    and the events the rules found, one per (rule, sector, town, unit, month), with the office's
    state (新 / 已查看 / 已处理), note, and who set it when. ``active`` is false once a correction or
    an undo removed the condition (the state and note are kept)."""
    return [
        "ALTER TABLE towns ADD COLUMN sows_normal DOUBLE",
        "CREATE SEQUENCE IF NOT EXISTS warning_seq START 1",
        """CREATE TABLE IF NOT EXISTS warning_events (
             event_id BIGINT PRIMARY KEY DEFAULT nextval('warning_seq'),
             rule_id VARCHAR NOT NULL,
             rule_version DATE NOT NULL,
             sector VARCHAR NOT NULL,
             town VARCHAR,
             cooperative VARCHAR,
             unit VARCHAR,
             unit_id BIGINT,
             month DATE NOT NULL,
             level VARCHAR NOT NULL,
             figure DOUBLE,
             threshold DOUBLE,
             active BOOLEAN NOT NULL DEFAULT true,
             state VARCHAR NOT NULL DEFAULT '新',
             note VARCHAR,
             state_by VARCHAR,
             state_at TIMESTAMP,
             found_at TIMESTAMP DEFAULT current_timestamp,
             updated_at TIMESTAMP DEFAULT current_timestamp)""",
    ]


def _column_choices() -> list[str]:
    """What an uploader said a column is that the reader did not understand (出栏合计(头) → 出栏, or
    ignored: choice ''), per sector, cooperative (as the file names it) and layout (a fingerprint
    of the normalised header row(s)), kept when an upload using it is committed, so the same
    cooperative's next file of that layout starts from it (shown, and changeable)."""
    return [
        """CREATE TABLE IF NOT EXISTS column_choices (
             sector VARCHAR NOT NULL,
             cooperative VARCHAR NOT NULL,
             layout VARCHAR NOT NULL,
             header VARCHAR NOT NULL,
             choice VARCHAR NOT NULL,
             chosen_by VARCHAR NOT NULL,
             chosen_at TIMESTAMP DEFAULT current_timestamp,
             upload_id BIGINT,
             PRIMARY KEY (sector, cooperative, layout, header))""",
    ]


def _unit_month_flags() -> list[str]:
    """``unit_month_<sector>`` gains, per unit and month, whether the unit also reported the month
    before and after and the same month a year before and after (figures.rollups.FLAGS, kept on
    write): a one-month 环比 / 同比 scans each month's rows instead of joining two months'
    (issue 19.6). The month rollups are rebuilt from the records, in month order as before."""
    return rollups.month_rollups_rebuild_sql()


def _groups() -> list[str]:
    """``unit_year_<sector>`` gains whether the unit also reported the year before and after
    (figures.rollups.YEAR_FLAGS), and ``month_groups_<sector>`` / ``year_groups_<sector>`` add up a
    month's (a year's) units per town, cooperative (crop for plots) and those flags, kept on write
    (figures.rollups.groupings): a one-month 环比 / 同比, a whole year's 同比 and a month's or a
    year's sector totals read a few rows per cooperative instead of every unit (issue 19.6).
    ``unit_month_gaps`` gains ``until_mi``, the month a silent unit reported again."""
    return rollups.year_rollups_rebuild_sql() + rollups.gaps_rebuild_sql() + rollups.groups_rebuild_sql()


# Each migration is (version, statements). Never edit a released one: append a new one.
MIGRATIONS: list[tuple[int, Callable[[], list[str]]]] = [
    (1, _base_schema),
    (2, _views),
    (3, _undo_tables),
    (4, _name_aliases),
    (5, _audit_and_login_tables),
    (6, _towns_and_rollups),
    (7, _sessions),
    (8, _upload_cooperatives),
    (9, _upload_explanations),
    (10, _submissions),
    (11, _unit_month_gaps),
    (12, _warnings),
    (13, _column_choices),
    (14, _unit_month_flags),
    (15, _groups),
]


SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations; returns the schema version now in the file."""
    con.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
                     version INTEGER PRIMARY KEY,
                     applied_at TIMESTAMP DEFAULT current_timestamp)""")
    done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, statements in MIGRATIONS:
        if version in done:
            continue
        con.execute("BEGIN")
        try:
            for sql in statements():
                con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version) VALUES (?)", [version])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return max(done | {v for v, _ in MIGRATIONS})
