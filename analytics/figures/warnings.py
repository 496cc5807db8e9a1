"""预警 (DESIGN.md §10): the one declared table of warning rules, their evaluation on the accepted
records (in SQL, over the per-unit-month rollups kept on write) and the stored events.

Rules are data (:data:`RULES`): each has the date it took effect and its source. A rule id may
have several versions; a month is judged by the version in force at the month's end (a holding
is the figure at month end). Events live in ``warning_events`` (store migration 12), one per
(rule, sector, town, unit, month), with a state 新 → 已查看 → 已处理 (and a note) that the office
sets on the 预警 page; an event whose condition no longer holds after a correction or an undo is
kept with ``active = false`` once the office has looked at it (its state and note stay, it no longer
counts as open); one still 新 is removed.

:func:`evaluate_warnings` runs in the store's write transaction after the rollups are refreshed
(``analytics.store.db``), over the months an upload or an undo touched and the months whose
rules look back at them (the mortality median looks back 12 months), so it stays cheap.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import pandas as pd

from ..scope import Cursor, Filters, month_index, month_str, parse_month
from . import rollups
from .completeness import missing_by_town, silent_units

NEW, SEEN, HANDLED = "新", "已查看", "已处理"
STATES = (NEW, SEEN, HANDLED)
STATE_EN = {NEW: "new", SEEN: "seen", HANDLED: "handled"}
GREEN, YELLOW, RED = "green", "yellow", "red"
LEVELS = {GREEN: ("绿色", "green"), YELLOW: ("黄色", "yellow"), RED: ("红色", "red")}


@dataclass(frozen=True)
class Rule:
    """One version of a warning rule: ``params`` hold its thresholds (shares as fractions)."""

    id: str
    since: date  # took effect (the notice's date)
    zh: str
    en: str
    sectors: tuple[str, ...]
    params: dict = field(default_factory=dict)
    source: str = ""
    # "unit": each duck shed or hog farm against its own months (a unit that did not report a
    # month is simply not judged then). "town": a town's total, judged only on a month its units
    # all reported (month_completeness), since a total short of the late farms is a wrong number.
    scope: str = "unit"
    source_en: str = ""  # the source in English, for the English pages


RULES: tuple[Rule, ...] = (
    # 《生猪产能调控实施方案（暂行）》，农业农村部 2021 年 9 月印发：能繁母猪月度存栏处于正常保有量的
    # 95%–105% 为绿色区域，90%–95% 或 105%–110% 为黄色区域，低于 90% 或高于 110% 为红色区域。
    Rule("sows_zone", date(2021, 9, 1), "能繁母猪保有量", "Breeding sows vs normal holding", ("hog",),
         {"green": (0.95, 1.05), "yellow": (0.90, 1.10)},
         "《生猪产能调控实施方案（暂行）》（农业农村部，2021年9月）", "town",
         "Implementation plan for regulating hog production capacity (interim), Ministry of Agriculture and "
         "Rural Affairs, Sept 2021"),
    # 《生猪产能调控实施方案（2024年修订）》，农业农村部 2024 年 2 月 29 日印发（3 月 1 日公布）：绿色区域
    # 92%–105%（含两端），黄色区域 85%–92% 或 105%–110%（含 85% 和 110%），红色区域低于 85% 或高于 110%。
    Rule("sows_zone", date(2024, 2, 29), "能繁母猪保有量", "Breeding sows vs normal holding", ("hog",),
         {"green": (0.92, 1.05), "yellow": (0.85, 1.10)},
         "《生猪产能调控实施方案（2024年修订）》（农业农村部，2024年2月29日）", "town",
         "Implementation plan for regulating hog production capacity (2024 revision), Ministry of Agriculture "
         "and Rural Affairs, 29 Feb 2024"),
    # No national norm for one shed or farm: the office's own line, a one-month fall of a fifth is
    # worth a call (disease, a forced sale, a wrong figure). Ducks and hogs (plots hold no stock).
    Rule("stock_drop", date(2021, 1, 1), "存栏环比下降", "Stock down month on month", ("duck", "hog"),
         {"share": 0.20}, "园区农业办设定：单元存栏较上月下降超过 20%",
         source_en="set by the park's agriculture office: a unit's stock down more than 20 % on last month"),
    # The unit against its own normal: 死淘率 (死淘或死亡 ÷ 月末存栏) above twice the median of its previous
    # 12 months (at least 6 of them reported); never below 1 % a month, so a unit whose median is
    # 0 is not flagged for one death. Office setting, after the 月均死淘率 of the sector pages.
    Rule("mortality_spike", date(2021, 1, 1), "死淘率异常", "Mortality spike", ("duck", "hog"),
         {"multiple": 2.0, "min_months": 6, "floor": 0.01},
         "园区农业办设定：当月死淘率超过本单元前 12 个月中位数的 2 倍（且不低于 1%）",
         source_en="set by the park's agriculture office: the month's mortality above twice the unit's median "
         "of the previous 12 months (and at least 1 %)"),
    # Losses (收入 − 成本 < 0) three months running. Plots are left out: a crop's growing months carry
    # its costs before the harvest brings revenue, so three loss months in a row are normal there.
    Rule("loss_streak", date(2021, 1, 1), "连续亏损", "Losses three months running", ("duck", "hog"),
         {"months": 3}, "园区农业办设定：单元连续 3 个月 收入 − 成本 < 0",
         source_en="set by the park's agriculture office: a unit's revenue − cost < 0 three months running"),
)

RULE_NAMES = {r.id: (r.zh, r.en) for r in RULES}
_DEAD = {"duck": "culled", "hog": "deaths"}


def rule_for(rule_id: str, month: date | str) -> Rule | None:
    """The version of ``rule_id`` in force for ``month`` (judged at the month's end); None before the first."""
    m = parse_month(month) if isinstance(month, str) else month
    end = m.replace(day=calendar.monthrange(m.year, m.month)[1])
    versions = [r for r in RULES if r.id == rule_id and r.since <= end]
    return max(versions, key=lambda r: r.since) if versions else None


def sows_zone(share: float | None, month: date | str) -> tuple[str | None, Rule | None]:
    """(green / yellow / red, the rule) for sows at ``share`` of the normal holding (1.0 = 100 %)
    in ``month``; (None, rule) without a share, (None, None) before the first rule took effect.
    Both bounds of green and yellow are inside (92 % and 105 % are green under the 2024 rule)."""
    rule = rule_for("sows_zone", month)
    if rule is None or share is None:
        return None, rule
    share = round(share, 6)  # 0.92 computed as 92/100 is 0.92, not 0.9199999
    g, y = rule.params["green"], rule.params["yellow"]
    if g[0] <= share <= g[1]:
        return GREEN, rule
    if y[0] <= share <= y[1]:
        return YELLOW, rule
    return RED, rule


def figure_text(rule_id: str, value: float | None, lang: str = "zh") -> str:
    """An event's figure or threshold in words: 元 for the loss streak, else a percentage."""
    if value is None or pd.isna(value):
        return "—"
    if rule_id == "loss_streak":
        return f"{value:,.0f} 元" if lang == "zh" else f"{value:,.0f} yuan"
    return f"{value * 100:.1f}%"


def figure_texts(rule_id: str, figure: float | None, threshold: float | None,
                 lang: str = "zh") -> tuple[str, str]:
    """An event's (figure, threshold) in words, with enough decimals that a figure over (or under)
    its threshold reads so: 死淘率 0.0104 against 1 % is ("1.04%", "1.00%"), not "1.0%" twice.
    Percentages from one decimal up to four, both to the same decimals; 元 whole (the loss streak
    against 0 never ties)."""
    if rule_id == "loss_streak" or figure is None or threshold is None or pd.isna(figure) or pd.isna(threshold):
        return figure_text(rule_id, figure, lang), figure_text(rule_id, threshold, lang)
    digits = 1
    while digits < 4 and f"{figure * 100:.{digits}f}" == f"{threshold * 100:.{digits}f}":
        digits += 1
    return f"{figure * 100:.{digits}f}%", f"{threshold * 100:.{digits}f}%"


def _month_of(mi: int) -> date:
    return date(mi // 12, mi % 12 + 1, 1)


def _has_events(cur: Cursor) -> bool:
    return bool(cur.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = 'warning_events'").fetchall()[0][0])


def _param(rule_id: str, key: str) -> float:
    return next(r for r in RULES if r.id == rule_id).params[key]


def _unit_rows(sector: str, lo: int, hi: int) -> tuple[str, list]:
    """The sector's per-unit-month rows (a record each) from month index ``lo`` to ``hi``."""
    dead = _DEAD[sector]
    return (f"""SELECT unit_id, town, year(last_month) * 12 + month(last_month) - 1 AS mi, stock,
                       CASE WHEN stock > 0 AND {dead} IS NOT NULL THEN {dead} / stock END AS rate,
                       CASE WHEN revenue IS NOT NULL OR cost IS NOT NULL
                            THEN coalesce(revenue, 0) - coalesce(cost, 0) END AS profit
                FROM unit_month_{sector} WHERE last_month BETWEEN ? AND ?""",
            [_month_of(lo), _month_of(hi)])


def _unit_events(cur: Cursor, sector: str, lo: int, hi: int) -> pd.DataFrame:
    """Stock-drop, mortality-spike and loss-streak events of one sector in months lo..hi."""
    rows, params = _unit_rows(sector, lo - 12, hi)
    share, mult = _param("stock_drop", "share"), _param("mortality_spike", "multiple")
    min_n, floor = int(_param("mortality_spike", "min_months")), _param("mortality_spike", "floor")
    streak = int(_param("loss_streak", "months"))
    sql = f"""
        WITH r AS ({rows}), c AS (SELECT * FROM r WHERE mi BETWEEN ? AND ?)
        SELECT 'stock_drop' AS rule_id, c.unit_id, c.town, c.mi, 'yellow' AS level,
               (p.stock - c.stock) / p.stock AS figure, {share} AS threshold
        FROM c JOIN r p ON p.unit_id = c.unit_id AND p.mi = c.mi - 1
        WHERE p.stock > 0 AND c.stock IS NOT NULL AND (p.stock - c.stock) / p.stock > {share}
        UNION ALL
        SELECT 'mortality_spike', c.unit_id, any_value(c.town), c.mi, 'yellow',
               any_value(c.rate), greatest({mult} * median(h.rate), {floor})
        FROM c JOIN r h ON h.unit_id = c.unit_id AND h.mi BETWEEN c.mi - 12 AND c.mi - 1
        WHERE c.rate IS NOT NULL AND h.rate IS NOT NULL
        GROUP BY c.unit_id, c.mi
        HAVING count(*) >= {min_n} AND any_value(c.rate) > greatest({mult} * median(h.rate), {floor})
        UNION ALL
        SELECT 'loss_streak', c.unit_id, any_value(c.town), c.mi, 'yellow', sum(h.profit), 0
        FROM c JOIN r h ON h.unit_id = c.unit_id AND h.mi BETWEEN c.mi - {streak - 1} AND c.mi
        WHERE c.profit < 0 AND h.profit < 0
        GROUP BY c.unit_id, c.mi HAVING count(*) = {streak}"""  # noqa: S608 — numbers from RULES
    return cur.execute(sql, params + [lo, hi]).df().assign(sector=sector)


class _Sows(NamedTuple):
    town: str
    mi: int
    sows: float | None
    farms: int
    normal: float


def _sows_by_town(cur: Cursor, lo: int, hi: int, towns: Sequence[str] = ()) -> list[_Sows]:
    """Per town with a normal holding and month lo..hi: sows reported (头), farms reporting, the
    holding. Plain tuples: a county's hundred towns over years of months are thousands of rows."""
    where, params = "", [_month_of(lo), _month_of(hi)]
    if towns:
        where = f" AND t.name IN ({', '.join('?' * len(towns))})"
        params += list(towns)
    # From the month groups kept on write (a few rows per cooperative and month), not the farms.
    rows = cur.execute(f"""
        SELECT t.name AS town, year(g.month) * 12 + month(g.month) - 1 AS mi,
               CAST(sum(g.sows) AS BIGINT) AS sows, CAST(sum(g.sows_units) AS BIGINT) AS farms,
               any_value(t.sows_normal) AS normal
        FROM {rollups.groups_table('hog')} g JOIN towns t ON t.name = g.town
        WHERE t.sows_normal > 0 AND g.month BETWEEN ? AND ?{where}
        GROUP BY t.name, mi""", params).fetchall()  # noqa: S608 — a fixed clause of placeholders
    return [_Sows(*r) for r in rows]


def _towns_silent(cur: Cursor, month: str, towns: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """{town: [(cooperative, farm), ...]}: :func:`silent_units` of the towns' hog farms in ``month``
    ('YYYY-MM'), every town in one query, ordered by cooperative and farm."""
    found = silent_units(cur, "hog", month, Filters(towns=tuple(towns)), by_town=True)
    got: dict[str, list[tuple[str, str]]] = {}
    # tolist(): iterating the Arrow-backed string columns one by one cost more than the query.
    for town, coop, unit in zip(found["town"].tolist(), found["cooperative"].tolist(), found["unit"].tolist(),
                                strict=True):
        got.setdefault(town, []).append((coop, unit))
    return got


def _town_events(cur: Cursor, lo: int, hi: int) -> pd.DataFrame:
    """Sows-zone events of months lo..hi: a town's month is judged only when complete (a total
    short of the late farms would raise a warning out of missing reports); it is judged when an
    upload completes it, since that upload's months are evaluated again."""
    out = []
    sows = _sows_by_town(cur, lo, hi)
    missing = missing_by_town(cur, "hog", lo, hi)
    for r in sows:
        if not r.farms or missing.get(r.town, {}).get(int(r.mi), 0):
            continue
        share = float(r.sows) / float(r.normal)
        zone, rule = sows_zone(share, _month_of(int(r.mi)))
        if zone in (YELLOW, RED):
            bounds = rule.params["green"]
            out.append({"rule_id": "sows_zone", "unit_id": None, "town": r.town, "mi": int(r.mi), "level": zone,
                        "figure": share, "threshold": bounds[0] if share < bounds[0] else bounds[1],
                        "sector": "hog"})
    return pd.DataFrame(out, columns=["rule_id", "unit_id", "town", "mi", "level", "figure", "threshold", "sector"])


def _months_span(cur: Cursor, months: Iterable[str | date] | None) -> tuple[int, int] | None:
    """Event months to (re)evaluate: the touched ones and the 12 after each (the mortality median
    and the streaks look back at them), within the months that have records."""
    row = cur.execute("SELECT min(month), max(month) FROM coop_months WHERE n_records > 0").fetchone()
    if not row or row[0] is None:
        return None
    first, last = month_index(row[0]), month_index(row[1])
    if months is None:
        return first, last
    idx = [month_index(parse_month(m) if isinstance(m, str) else m) for m in months]
    if not idx:
        return None
    return max(min(idx), first), min(max(idx) + 12, last)


def evaluate_warnings(cur: Cursor, months: Iterable[str | date] | None = None) -> int:
    """Evaluate every rule over ``months`` (and the months that look back at them; None: all) and
    upsert ``warning_events`` inside the caller's write; returns how many events are active there.

    An event found again keeps its state and note and gets the new figure; an event of those
    months no longer found is set inactive. Needs the rollups of the write to be refreshed first.
    """
    if not _has_events(cur):
        return 0
    span = _months_span(cur, months)
    if span is None:
        if months is None:  # no records at all: nothing can be active
            cur.execute("UPDATE warning_events SET active = false WHERE active").fetchall()
        return 0
    lo, hi = span
    frames = [_unit_events(cur, s, lo, hi) for s in ("duck", "hog")]
    frames.append(_town_events(cur, lo, hi))
    found = pd.concat([f for f in frames if not f.empty] or [frames[-1]], ignore_index=True)
    rows = []
    for r in found.itertuples():
        month = _month_of(int(r.mi))
        rule = rule_for(r.rule_id, month)
        if rule is None or r.sector not in rule.sectors:  # before the rule took effect
            continue
        rows.append({"rule_id": r.rule_id, "rule_version": rule.since, "sector": r.sector, "town": r.town,
                     "unit_id": None if pd.isna(r.unit_id) else int(r.unit_id), "month": month,
                     "level": r.level, "figure": float(r.figure), "threshold": float(r.threshold)})
    found = pd.DataFrame(rows, columns=["rule_id", "rule_version", "sector", "town", "unit_id", "month", "level",
                                        "figure", "threshold"]).astype({"unit_id": "Int64", "figure": float,
                                                                        "threshold": float})
    key = ("w.rule_id = n.rule_id AND w.sector = n.sector AND w.month = n.month "
           "AND w.unit_id IS NOT DISTINCT FROM n.unit_id AND (w.unit_id IS NOT NULL OR w.town = n.town)")
    cur.execute("SELECT 1").fetchall()  # register() needs no unfinished result on the cursor
    cur.register("_warn_new", found)
    try:
        cur.execute(f"""UPDATE warning_events w SET active = true, level = n.level, figure = n.figure,
                          threshold = n.threshold, rule_version = n.rule_version, town = n.town,
                          updated_at = current_timestamp
                        FROM _warn_new n WHERE {key} AND (NOT w.active OR w.level <> n.level
                          OR w.figure IS DISTINCT FROM n.figure
                          OR w.threshold IS DISTINCT FROM n.threshold)""").fetchall()
        cur.execute(f"""INSERT INTO warning_events (rule_id, rule_version, sector, town, cooperative, unit, unit_id,
                                                    month, level, figure, threshold)
                        SELECT n.rule_id, n.rule_version, n.sector, n.town, u.cooperative, u.unit, n.unit_id,
                               n.month, n.level, n.figure, n.threshold
                        FROM _warn_new n LEFT JOIN units u ON u.unit_id = n.unit_id
                        WHERE NOT EXISTS (SELECT 1 FROM warning_events w WHERE {key})""").fetchall()
        # Gone and never looked at: removed (so an undo leaves the table as it was); looked at: kept, inactive.
        gone = f"w.month BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM _warn_new n WHERE {key})"
        cur.execute(f"DELETE FROM warning_events w WHERE w.state = ? AND {gone}",
                    [NEW, _month_of(lo), _month_of(hi)]).fetchall()
        cur.execute(f"""UPDATE warning_events w SET active = false, updated_at = current_timestamp
                        WHERE w.active AND {gone}""", [_month_of(lo), _month_of(hi)]).fetchall()
    finally:
        cur.unregister("_warn_new")
    return int(cur.execute("SELECT count(*) FROM warning_events WHERE active").fetchall()[0][0])


def _sectors(rule_id: str) -> tuple[str, ...]:
    return next(r for r in RULES if r.id == rule_id).sectors


# --- the read side ---------------------------------------------------------------------------

EVENT_COLUMNS = ["event_id", "rule_id", "rule_version", "sector", "town", "cooperative", "unit", "month", "level",
                 "figure", "threshold", "state", "note", "state_by", "state_at", "active"]


def warning_events(cur: Cursor, month: str | None = None, *, states: Sequence[str] = (),
                   rules: Sequence[str] = (), towns: Sequence[str] = (), cooperatives: Sequence[str] = (),
                   active_only: bool = True, within: tuple[str, str] | None = None) -> pd.DataFrame:
    """Stored events, newest month first, then by rule and place. Columns :data:`EVENT_COLUMNS`;
    ``month`` 'YYYY-MM'; ``figure`` and ``threshold`` are fractions (sows: share of the normal
    holding; stock drop: share lost; mortality: deaths ÷ stock) or 元 (loss streak: the
    three months' profit, threshold 0). ``within`` ('YYYY-MM', 'YYYY-MM') keeps the months of a
    period (a county's store holds tens of thousands of events: a period's are read, not all).
    Empty when the store predates warnings (a lake)."""
    if not _has_events(cur):
        return pd.DataFrame(columns=EVENT_COLUMNS)
    clauses, params = [], []
    if month:
        clauses.append("month = ?")
        params.append(parse_month(month))
    if within:
        clauses.append("month BETWEEN ? AND ?")
        params += [parse_month(within[0]), parse_month(within[1])]
    for col, values in (("state", states), ("rule_id", rules), ("town", towns), ("cooperative", cooperatives)):
        if values:
            clauses.append(f"{col} IN ({', '.join('?' * len(values))})")
            params += list(values)
    if active_only:
        clauses.append("active")
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    df = cur.execute(f"""SELECT {', '.join(EVENT_COLUMNS)} FROM warning_events{where}
                         ORDER BY month DESC, rule_id, town, cooperative, unit, event_id""", params).df()
    df["month"] = pd.Series([month_str(m) for m in df["month"]], index=df.index, dtype=object)
    return df


def open_warnings(cur: Cursor, month: str | None = None, within: tuple[str, str] | None = None) -> pd.DataFrame:
    """Active events not yet 已处理 (新 or 已查看); of ``month``, or of the months ``within``
    ('YYYY-MM', 'YYYY-MM'), when given."""
    return warning_events(cur, month, states=(NEW, SEEN), within=within)


def open_count(cur: Cursor) -> dict:
    """{"open": active events 新 or 已查看, "new": of them 新, "latest_month": the newest such month or None}."""
    if not _has_events(cur):
        return {"open": 0, "new": 0, "latest_month": None}
    n, new, latest = cur.execute("""SELECT count(*), count(*) FILTER (WHERE state = ?), max(month)
                                    FROM warning_events WHERE active AND state <> ?""", [NEW, HANDLED]).fetchone()
    return {"open": int(n), "new": int(new), "latest_month": month_str(latest) if latest else None}


def sows_normal(cur: Cursor) -> dict[str, float | None]:
    """Each registered town's 正常保有量 of breeding sows (头), None where the office has set none."""
    try:
        rows = cur.execute("SELECT name, sows_normal FROM towns ORDER BY name").fetchall()
    except Exception:  # noqa: BLE001 - a store (or lake) from before migration 12
        return {}
    return {n: (float(v) if v is not None else None) for n, v in rows}


def sows_light(cur: Cursor, month: str, towns: Sequence[str] = ()) -> list[dict]:
    """The 能繁母猪 light per town with a normal holding, for ``month`` ('YYYY-MM').

    A town's zone is judged on ``month`` when all its hog farms reported it (the 口径 of
    :func:`month_completeness`); else on the latest earlier month they all reported, and the
    light says so. One dict per town: town; month (asked); missing (farms of the town that have
    not reported ``month``); missing_units (their (cooperative, unit) names); judged (the month
    judged, 'YYYY-MM', or None when no month qualifies); sows (头), farms (farms reporting sows),
    share (fraction of the normal holding), zone (green / yellow / red): all of the judged month;
    normal (头); rule_since, source, source_en, green (lo, hi), yellow (lo, hi): the rule in force then.
    share and zone are None when the judged month has no sows reported, or nothing is judged.
    """
    normals = sows_normal(cur)
    if not normals:
        return []
    mi = month_index(parse_month(month))
    first = cur.execute("SELECT min(last_month) FROM unit_month_hog").fetchone()[0]
    lo = min(month_index(first), mi) if first is not None else mi
    out = []
    shown = [town for town, normal in normals.items() if normal and (not towns or town in towns)]
    if not shown:
        return []
    silent_of = _towns_silent(cur, month, shown)

    def judge(since: int, towns: list[str]) -> dict[str, tuple[int | None, _Sows | None]]:
        """{town: (month judged, its sows row)} from months since..mi; None: none qualifies."""
        # Queries for every town together (a county's hundred towns took 9 s one by one).
        by_town: dict[str, dict[int, _Sows]] = {}
        for r in _sows_by_town(cur, since, mi, towns):
            by_town.setdefault(r.town, {})[int(r.mi)] = r
        missing = missing_by_town(cur, "hog", since, mi, towns)
        got = {}
        for town in towns:
            by_month, done = by_town.get(town, {}), missing.get(town, {})
            judged: int | None = mi
            if silent_of.get(town):  # incomplete: the latest earlier month every farm reported, with sows
                judged = max((m for m, r in by_month.items() if m < mi and not done.get(m, 0) and r.farms),
                             default=None)
            got[town] = (judged, by_month.get(judged) if judged is not None else None)
        return got

    # The last 13 months first: a town that found no month to judge in them looks further back.
    since = max(lo, mi - 12)
    verdicts = judge(since, shown)
    back = [t for t in shown if verdicts[t][0] is None] if since > lo else []
    if back:
        verdicts |= judge(lo, back)
    for town in shown:
        normal = normals[town]
        silent = silent_of.get(town, [])
        judged, r = verdicts[town]
        share = float(r.sows) / normal if r is not None and r.farms else None
        at = month if judged is None else month_str(_month_of(judged))
        zone, rule = sows_zone(share, at)
        out.append({"town": town, "month": month, "missing": len(silent),
                    "missing_units": silent,
                    "judged": None if judged is None else at,
                    "sows": int(r.sows) if share is not None else None, "farms": int(r.farms) if r is not None else 0,
                    "normal": normal, "share": share, "zone": zone,
                    "rule_since": rule.since.isoformat() if rule else None, "source": rule.source if rule else None,
                    "source_en": rule.source_en if rule else None,
                    "green": rule.params["green"] if rule else None, "yellow": rule.params["yellow"] if rule else None})
    return out
