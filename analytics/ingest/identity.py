"""Who a row belongs to: the same cooperative or unit written another way ("did you mean …").

A new name whose key — the name without generic words (专业, 养殖, 种植, 合作社, 有限公司 …),
spaces, brackets and punctuation, full/half width folded — equals a registered name's key is
flagged, never silently merged or silently added. The admin maps it to the registered name
(kept in ``name_aliases`` for next month) or confirms it is new.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from ..text import coop_key, unit_key

Cursor = duckdb.DuckDBPyConnection

@dataclass
class NameChoices:
    """What the admin decided for look-alike names before confirming.

    ``cooperatives`` maps a name in the file to the registered one; ``units`` maps (registered
    cooperative, unit in the file) to the registered unit; ``accept_new`` confirms that every
    other look-alike is really new.
    """

    cooperatives: dict[str, str] = field(default_factory=dict)
    units: dict[tuple[str, str], str] = field(default_factory=dict)
    accept_new: bool = False


@dataclass
class Resolution:
    frame: pd.DataFrame  # the parsed rows with registered names
    similar: pd.DataFrame  # kind, cooperative, name, match: look-alikes not yet decided
    aliased: pd.DataFrame  # kind, cooperative, name, registered: names mapped (alias table or choice)
    new_aliases: pd.DataFrame  # kind, sector, cooperative, alias, name: to keep for next month


SIMILAR_COLUMNS = ["kind", "cooperative", "name", "match"]
ALIAS_COLUMNS = ["kind", "cooperative", "name", "registered", "source"]


def resolve(cur: Cursor, sector: str, frame: pd.DataFrame, choices: NameChoices | None) -> Resolution:
    """Map the file's names through the alias table and the admin's choices, then flag the new
    names that look like registered ones. Joins in SQL: only the file's cooperatives' units
    are read, whatever the size of the store."""
    choices = choices or NameChoices()
    f = frame
    file_coops = sorted(f["cooperative"].dropna().unique())
    aliased: list[dict] = []
    new_aliases: list[dict] = []
    # Cooperatives: alias table, then the admin's choice.
    rows = cur.execute("""SELECT alias, name FROM name_aliases WHERE kind = 'cooperative'
                          AND alias IN (SELECT unnest(?::VARCHAR[]))""", [file_coops]).fetchall()
    coop_map = {a: n for a, n in rows}
    for a, n in choices.cooperatives.items():
        if a in file_coops and n and n != a:
            coop_map[a] = n
            if (a, n) not in rows:
                new_aliases.append({"kind": "cooperative", "sector": "", "cooperative": "", "alias": a, "name": n})
    for a, n in coop_map.items():
        aliased.append({"kind": "cooperative", "cooperative": "", "name": a, "registered": n,
                        "source": "choice" if choices.cooperatives.get(a) == n else "alias"})
    if coop_map:
        f = f.copy()
        f["cooperative"] = f["cooperative"].map(lambda c: coop_map.get(c, c))
    registered = [r[0] for r in cur.execute("SELECT name FROM cooperatives").fetchall()]
    reg_set = set(registered)
    by_key: dict[str, str] = {}
    for r in registered:
        by_key.setdefault(coop_key(r), r)
    similar: list[dict] = []
    for c in sorted(set(f["cooperative"].dropna().unique()) - reg_set):
        k = coop_key(c)
        if k and k in by_key:
            similar.append({"kind": "cooperative", "cooperative": "", "name": c, "match": by_key[k]})
    # Units, within each (registered) cooperative of the file.
    pairs = f[["cooperative", "unit"]].drop_duplicates()
    cur.register("_id_pairs", pairs)
    try:
        known = cur.execute("""SELECT u.cooperative, u.unit FROM units u
                               WHERE u.sector = ? AND u.cooperative IN (SELECT DISTINCT cooperative FROM _id_pairs)""",
                            [sector]).fetchall()
        unit_alias = cur.execute("""SELECT a.cooperative, a.alias, a.name FROM name_aliases a
                                    SEMI JOIN _id_pairs p ON a.cooperative = p.cooperative AND a.alias = p.unit
                                    WHERE a.kind = 'unit' AND a.sector = ?""", [sector]).fetchall()
    finally:
        _unregister(cur, "_id_pairs")
    umap = {(c, a): n for c, a, n in unit_alias}
    for (c, a), n in choices.units.items():
        if n and n != a:
            umap[(c, a)] = n
            if (c, a, n) not in unit_alias:
                new_aliases.append({"kind": "unit", "sector": sector, "cooperative": c, "alias": a, "name": n})
    present = set(zip(pairs["cooperative"], pairs["unit"], strict=True))
    for (c, a), n in umap.items():
        if (c, a) in present:
            aliased.append({"kind": "unit", "cooperative": c, "name": a, "registered": n,
                            "source": "choice" if choices.units.get((c, a)) == n else "alias"})
    if any(k in present for k in umap):
        f = f.copy()
        keys = list(zip(f["cooperative"], f["unit"], strict=True))
        f["unit"] = [umap.get(k, k[1]) for k in keys]
        present = set(zip(f["cooperative"], f["unit"], strict=True))
    known_set = set(known)
    unit_by_key: dict[tuple[str, str], str] = {}
    for c, u in known:
        unit_by_key.setdefault((c, unit_key(u)), u)
    for c, u in sorted(present - known_set):
        k = unit_key(u)
        if k and (c, k) in unit_by_key:
            similar.append({"kind": "unit", "cooperative": c, "name": u, "match": unit_by_key[(c, k)]})
    return Resolution(f, pd.DataFrame(similar, columns=SIMILAR_COLUMNS),
                      pd.DataFrame(aliased, columns=ALIAS_COLUMNS),
                      pd.DataFrame(new_aliases, columns=["kind", "sector", "cooperative", "alias", "name"]))


def _unregister(cur: Cursor, name: str) -> None:
    """Unregister without masking the real error when the transaction is already aborted."""
    try:
        cur.unregister(name)
    except duckdb.Error:
        pass


def similar_message(similar: pd.DataFrame, lang: str) -> str:
    """'“青禾生猪合作社”像是已登记的“青禾生猪养殖专业合作社”…' for the CLI and the commit refusal."""
    parts = []
    for r in similar.itertuples(index=False):
        where = f"（{r.cooperative}）" if r.kind == "unit" else ""
        parts.append(f"“{r.name}”{where}像是已登记的“{r.match}”" if lang == "zh" else
                     f"“{r.name}”{where} looks like the registered “{r.match}”")
    if lang == "zh":
        return ("；".join(parts) + "（去掉“专业”“养殖”“合作社”、空格、括号等字样后相同）。"
                "如是同一个，请改用已登记的名称或在预览中选择对应；确是新名称，请确认登记为新名称"
                "（命令行加 --new-names，或用 --map 文件中的名称=已登记名称）。")
    return ("; ".join(parts) + ". Use the registered name or map it in the preview; if it is really new, confirm "
            "it (--new-names on the command line, or --map NAME=REGISTERED).")
