"""Figures with the submissions awaiting review (``pending=1``, ``kpis --include-pending``).

Accepted figures are the records; a submission's rows wait apart in ``pending_<sector>``
(DESIGN.md §9). :func:`with_pending` makes a cursor see the records *overlaid* with the rows of
every submission 待审核 — a pending row replaces the accepted record of the same (month,
cooperative, unit), in the columns its sheet carries (the others keep the stored value), as its
acceptance would — by shadowing, in that cursor only, the record tables, ``units``,
``cooperatives``, the rollups, ``coop_months`` and the groups with temporary views. The rollup views are the
rollups' own SQL (:func:`.rollups._rollup_select`) over the overlaid records, so every KPI
function runs unchanged on that cursor: one definition of each figure, never a second copy.
Slower than the kept rollups (they are computed per query), which is fine for a view asked for.
"""

from __future__ import annotations

from .. import contract
from ..scope import Cursor
from .rollups import _coop_months_select, _groups_select, _rollup_select, groupings, rollups


def has_pending(cur: Cursor) -> bool:
    """Whether any submission awaits review (False on a store without the cycle's tables)."""
    if not cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'submissions' "
                       "AND table_schema = 'main'").fetchall()[0][0]:
        return False
    return bool(cur.execute("SELECT count(*) FROM submissions WHERE state = 'pending'").fetchall()[0][0])


def pending_version(cur: Cursor) -> tuple:
    """What the overlay depends on besides the records: the submissions awaiting review."""
    return tuple(cur.execute("SELECT count(*), max(submission_id), max(reviewed_at) FROM submissions "
                             "WHERE state = 'pending'").fetchall()[0]) + tuple(
        cur.execute("SELECT count(*), max(reviewed_at) FROM submissions").fetchall()[0])


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def overlay_sql(db: str) -> list[str]:
    """The temporary views of the overlay, for the store catalog ``db`` (its real tables)."""
    main = f"{_q(db)}.main"
    stmts = []
    news = []
    for s in contract.SECTORS.values():
        cols = contract.record_columns(s)
        keys = {"month", "cooperative", "unit"}
        p = (f"(SELECT pr.* FROM {main}.pending_{s.key} pr JOIN {main}.submissions sb "
             f"ON sb.submission_id = pr.submission_id WHERE sb.state = 'pending')")
        pick = [f"x.{c}" if c in keys else
                f"CASE WHEN list_contains(string_split(coalesce(x.carried, ''), ','), '{c}') THEN x.{c} "
                f"ELSE o.{c} END AS {c}" for c in cols]
        stmts.append(f"""CREATE OR REPLACE TEMP VIEW {s.table} AS
            SELECT r.* FROM {main}.{s.table} r
            WHERE NOT EXISTS (SELECT 1 FROM {p} x WHERE x.month = r.month AND x.cooperative = r.cooperative
                                                   AND x.unit = r.unit)
            UNION ALL BY NAME
            SELECT {', '.join(pick)}, CAST(NULL AS BIGINT) AS upload_id FROM {p} x
            LEFT JOIN {main}.{s.table} o ON o.month = x.month AND o.cooperative = x.cooperative
                                        AND o.unit = x.unit""")  # noqa: S608 — names from contract.py
        gh = "x.gh_type" if "gh_type" in cols else "CAST(NULL AS VARCHAR)"
        news.append(f"""SELECT '{s.key}' AS sector, x.cooperative, x.unit, any_value({gh}) AS gh_type,
                               any_value(x.village) AS village, any_value(x.zone) AS zone,
                               max(x.land_mu) AS land_mu
                        FROM {p} x WHERE NOT EXISTS (SELECT 1 FROM {main}.units u WHERE u.sector = '{s.key}'
                            AND u.cooperative = x.cooperative AND u.unit = x.unit)
                        GROUP BY x.cooperative, x.unit""")
    # Units and cooperatives a pending submission would register: negative ids, never a real one's.
    stmts.append(f"""CREATE OR REPLACE TEMP VIEW units AS
        SELECT * FROM {main}.units
        UNION ALL BY NAME
        SELECT n.sector, n.cooperative, n.unit, n.gh_type, n.village, n.zone, n.land_mu,
               -row_number() OVER (ORDER BY n.sector, n.cooperative, n.unit) AS unit_id
        FROM ({' UNION ALL '.join(news)}) n""")  # noqa: S608
    stmts.append(f"""CREATE OR REPLACE TEMP VIEW cooperatives AS
        SELECT * FROM {main}.cooperatives
        UNION ALL BY NAME
        SELECT DISTINCT u.cooperative AS name,
               (SELECT CASE WHEN count(*) = 1 THEN any_value(name) END FROM {main}.towns) AS town
        FROM units u WHERE u.unit_id < 0 AND u.cooperative NOT IN (SELECT name FROM {main}.cooperatives)""")  # noqa: S608
    for r in rollups():
        stmts.append(f"CREATE OR REPLACE TEMP VIEW {r.table} AS {_rollup_select(r)}")
    parts = [_coop_months_select(s, "CAST(0 AS BIGINT)") for s in contract.SECTOR_KEYS]
    stmts.append(f"CREATE OR REPLACE TEMP VIEW coop_months AS {' UNION ALL '.join(parts)}")
    for g in groupings():  # over the rollup views above
        stmts.append(f"CREATE OR REPLACE TEMP VIEW {g.table} AS {_groups_select(g)}")
    return stmts


def with_pending(cur: Cursor) -> Cursor:
    """Make ``cur`` (a cursor of its own: the views live as long as it does) see the records with
    every submission awaiting review applied; returns it. Every KPI function then gives the
    figures as they would be if the office accepted all of them now."""
    db = cur.execute("SELECT current_database()").fetchall()[0][0]
    for sql in overlay_sql(db):
        cur.execute(sql)
    return cur
