"""The registry the administrator keeps: annual targets and the units' attributes (village, zone, land).

Admin only, each edit one transaction with its audit row (:mod:`analytics.access.audit`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .. import contract
from ..access.accounts import _clean_text
from ..access.audit import record
from ..access.permissions import AccountError, Actor, Cursor, require_admin
from ..figures import rollups
from .db import Store


def _target_metrics() -> dict[tuple[str, str], tuple[str, str]]:
    from ..figures import annual_targets

    return annual_targets.TARGET_METRICS


def set_targets(store: Store, actor: Actor, year: int,
                values: Mapping[tuple[str, str], float | None]) -> int:
    """Set the year's targets in one transaction (admin only); ``None`` removes a target.

    Keys are (sector, metric) pairs from ``annual_targets.TARGET_METRICS``. Returns how many were set.
    """
    require_admin(actor, "修改年度目标")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise AccountError(f"年份 {year} 无效。")
    known = _target_metrics()
    clean: dict[tuple[str, str], float | None] = {}
    for key, value in values.items():
        if key not in known:
            raise AccountError(f"没有“{key[0]} / {key[1]}”这项目标；可设的目标："
                               + "、".join(zh for zh, _ in known.values()) + "。")
        if value is not None and (isinstance(value, float) and math.isnan(value)):
            value = None
        if value is not None and not (math.isfinite(float(value)) and float(value) >= 0):
            raise AccountError(f"“{known[key][0]}”的目标值必须是不小于 0 的数，收到 {value}。")
        clean[key] = None if value is None else float(value)

    def write(cur: Cursor) -> int:
        n = 0
        record(cur, actor, "set_targets", str(year),
               "；".join(f"{known[k][0]}={'—' if v is None else f'{v:,.0f}'}" for k, v in clean.items()))
        for (sector, metric), value in clean.items():
            if value is None:
                cur.execute("DELETE FROM targets WHERE year = ? AND sector = ? AND metric = ?",
                            [year, sector, metric])
            else:
                cur.execute("""INSERT INTO targets VALUES (?, ?, ?, ?)
                               ON CONFLICT (year, sector, metric) DO UPDATE SET value = excluded.value""",
                            [year, sector, metric, value])
                n += 1
        return n

    # Targets touch no record: caches go cold, the per-unit rollups stay (issue 12).
    return store.run_write(write, records=False)


def set_target(store: Store, actor: Actor, year: int, sector: str, metric: str,
               value: float | None) -> None:
    """Set (or with ``None`` remove) one annual target; admin only."""
    set_targets(store, actor, year, {(sector, metric): value})


_KEEP: Any = object()  # "leave this attribute as it is"
UNIT_FIELDS = ("village", "zone", "land_mu")
UNIT_FIELD_NAMES = {"village": "村", "zone": "小区", "land_mu": "占地（亩）"}


def list_units(cur: Cursor, cooperative: str | None = None, sector: str | None = None) -> pd.DataFrame:
    """Registered sheds, farms and plots with their attributes, for the registry editor."""
    return cur.execute("""SELECT sector, cooperative, unit, gh_type, village, zone, land_mu FROM units
                          WHERE ($1 IS NULL OR cooperative = $1) AND ($2 IS NULL OR sector = $2)
                          ORDER BY sector, cooperative, unit""", [cooperative or None, sector or None]).df()


def _clean_land(value: Any, where: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise AccountError(f"{where}：占地（亩）“{value}”不是数字。") from None
    if math.isnan(x):
        return None
    if not math.isfinite(x) or x < 0:
        raise AccountError(f"{where}：占地（亩）必须是不小于 0 的数，收到 {value}。")
    return x


def update_units(store: Store, actor: Actor, edits: Iterable[Mapping[str, Any]]) -> int:
    """Correct unit attributes in one transaction (admin only); returns how many units changed.

    Each edit names ``sector``, ``cooperative``, ``unit`` and any of ``village``, ``zone``,
    ``land_mu`` (``None`` or blank clears it). A village or zone not seen before is registered.
    """
    require_admin(actor, "修改单元登记（占地、村、小区）")
    changes = []
    for e in edits:
        sector, coop, unit = e.get("sector"), e.get("cooperative"), e.get("unit")
        if sector not in contract.SECTORS:
            raise AccountError(f"板块“{sector}”无效。")
        where = f"{contract.sector(sector).zh}·{coop}·{unit}"
        fields = {}
        if "village" in e:
            fields["village"] = _clean_text(e["village"], where, "村")
        if "zone" in e:
            fields["zone"] = _clean_text(e["zone"], where, "小区")
        if "land_mu" in e:
            fields["land_mu"] = _clean_land(e["land_mu"], where)
        if fields:
            changes.append((sector, coop, unit, where, fields))

    def write(cur: Cursor) -> int:
        for sector, coop, unit, where, fields in changes:
            found = cur.execute("""SELECT count(*) FROM units
                                   WHERE sector = ? AND cooperative = ? AND unit = ?""",
                                [sector, coop, unit]).fetchone()[0]
            if not found:
                raise AccountError(f"找不到单元 {where}，未做任何修改。")
            # One fixed statement: a field not in the edit keeps its value (flag false).
            cur.execute("""UPDATE units SET village = CASE WHEN ? THEN ? ELSE village END,
                                            zone = CASE WHEN ? THEN ? ELSE zone END,
                                            land_mu = CASE WHEN ? THEN ? ELSE land_mu END
                           WHERE sector = ? AND cooperative = ? AND unit = ?""",
                        [*(x for f in UNIT_FIELDS for x in (f in fields, fields.get(f))), sector, coop, unit])
            # The administrator's correction is final: undoing an earlier upload must not put
            # back the attributes that upload had replaced.
            cur.execute("DELETE FROM units_history WHERE sector = ? AND cooperative = ? AND unit = ?",
                        [sector, coop, unit])
            if "land_mu" in fields:  # the month groups add up the registered land
                rollups.regroup(cur, sector, "?", [coop])
            if fields.get("village"):
                cur.execute("INSERT INTO villages VALUES (?) ON CONFLICT DO NOTHING", [fields["village"]])
            if fields.get("zone"):
                cur.execute("INSERT INTO zones VALUES (?) ON CONFLICT DO NOTHING", [fields["zone"]])
            record(cur, actor, "update_unit", where,
                   "，".join(f"{UNIT_FIELD_NAMES[k]}={'—' if v is None else v}" for k, v in fields.items()))
        return len(changes)

    # Village, zone and land are joined to the rollups when read (the month groups, which add up
    # land, were regrouped above): no record changes (issue 12).
    return store.run_write(write, records=False)


def _cell(v: object) -> object:
    """A registry cell for comparison: blank, None and NaN all mean "not set"."""
    if v is None or (isinstance(v, str) and not v.strip()) or (not isinstance(v, str) and pd.isna(v)):
        return None
    return v.strip() if isinstance(v, str) else float(v)


def unit_edits(before: pd.DataFrame, after: pd.DataFrame) -> list[dict[str, Any]]:
    """The edits that turn ``before`` (from :func:`list_units`) into ``after`` (the same rows,
    edited), in the shape :func:`update_units` takes: only units and fields that changed."""
    edits = []
    for i in range(len(before)):
        changed = {f: after.at[i, f] for f in UNIT_FIELDS if _cell(after.at[i, f]) != _cell(before.at[i, f])}
        if changed:
            edits.append({k: before.at[i, k] for k in ("sector", "cooperative", "unit")} | changed)
    return edits


def update_unit(store: Store, actor: Actor, sector: str, cooperative: str, unit: str, *,
                land_mu: Any = _KEEP, village: Any = _KEEP, zone: Any = _KEEP) -> None:
    """Correct one unit's land, village or zone; arguments left out stay as they are."""
    edit = {"sector": sector, "cooperative": cooperative, "unit": unit}
    edit.update({k: v for k, v in (("land_mu", land_mu), ("village", village), ("zone", zone))
                 if v is not _KEEP})
    update_units(store, actor, [edit])
