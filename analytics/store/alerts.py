"""The office's side of 预警: the 正常保有量 of breeding sows per town, and the state of each event
(新 → 已查看 → 已处理, with a note). Office roles only; each change one transaction with its audit row.
The rules and their evaluation are in :mod:`analytics.figures.warnings`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..access.audit import record
from ..access.permissions import AccountError, Actor, Cursor, require_office
from ..figures import warnings
from .db import Store


def set_sows_normal(store: Store, actor: Actor, town: str, value: float | None) -> None:
    """Set (``None``: clear) a town's 正常保有量 of breeding sows, in 头, and judge every month
    of that town again under it. Raises AccountError (Chinese) for an unknown town or a value
    that is not a positive number; PermissionDenied for anyone outside the office."""
    require_office(actor, "设定能繁母猪正常保有量")
    if value is not None:
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise AccountError(f"正常保有量必须是正数（头），收到“{value}”。") from None
        if not math.isfinite(value) or value <= 0:
            raise AccountError(f"正常保有量必须是正数（头），收到 {value:g}。")

    def write(cur: Cursor) -> None:
        if not cur.execute("SELECT count(*) FROM towns WHERE name = ?", [town]).fetchall()[0][0]:
            raise AccountError(f"没有登记乡镇“{town}”。")
        cur.execute("UPDATE towns SET sows_normal = ? WHERE name = ?", [value, town]).fetchall()
        record(cur, actor, "set_sows_normal", town, "—" if value is None else f"{value:,.0f} 头")
        warnings.evaluate_warnings(cur)

    # No record changes; the sows light is a cached figure, so caches go cold (records=False).
    store.run_write(write, records=False)


def set_warning_state(store: Store, actor: Actor, event_ids: Sequence[int], state: str,
                      note: str | None = None) -> int:
    """Move events to ``state`` (新 / 已查看 / 已处理) with an optional note; returns how many changed.

    已处理 needs a note (what was done). A note given replaces the old one; none keeps it.
    Raises AccountError (Chinese) for an unknown state, no events or unknown ids."""
    require_office(actor, "处理预警")
    if state not in warnings.STATES:
        raise AccountError(f"预警状态应为 {' / '.join(warnings.STATES)}，收到“{state}”。")
    ids = sorted({int(i) for i in event_ids})
    if not ids:
        raise AccountError("请先选择要处理的预警。")
    note = (note or "").strip() or None
    if note and len(note) > 500:
        raise AccountError("说明不能超过 500 字。")

    def write(cur: Cursor) -> int:
        old = cur.execute("SELECT event_id, note FROM warning_events WHERE list_contains(?, event_id)",
                          [ids]).fetchall()
        missing = sorted(set(ids) - {i for i, _ in old})
        if missing:
            raise AccountError(f"没有编号为 {'、'.join(map(str, missing))} 的预警。")
        if state == warnings.HANDLED and not note and any(not n for _, n in old):
            raise AccountError("标为“已处理”时请写明处理情况。")
        cur.execute("""UPDATE warning_events SET state = ?, note = coalesce(?, note), state_by = ?,
                         state_at = current_timestamp WHERE list_contains(?, event_id)""",
                    [state, note, actor.username, ids]).fetchall()
        record(cur, actor, "set_warning_state", "、".join(map(str, ids)), state + (f"：{note}" if note else ""))
        return len(ids)

    # No record changes, but the 存在问题 view and the deck read open warnings through the page cache:
    # caches go cold (records=False), the rollups stay.
    return store.run_write(write, records=False)
