"""Past one machine: the store as a Parquet lake, and the same KPIs over it with DuckDB or Spark.

A lake is a folder (local, or object storage mounted or reachable by the engine):

    records/sector=duck/year=2022/town=济阳镇/data_0.parquet   one folder per sector, year, town
    units.parquet  cooperatives.parquet  towns.parquet  targets.parquet  uploads.parquet  meta.parquet
    lake.json                                                    what was exported, when, how much

Records are Hive-partitioned (sector / year / town) and stored in month order within each
file, so an engine reads only the partitions a period and a town filter name.

The KPIs over a lake are not a second copy: :mod:`analytics.figures.kpis` is SQL written in the
subset DuckDB and Spark share, and it runs unchanged over tables of the same names —
DuckDB over the Parquet folder (:func:`open_lake`), or Spark SQL after sqlglot transpiles
each statement from DuckDB's dialect to Spark's (:class:`SparkCursor`). The rollups
(``unit_month_*``, ``unit_year_*``) are defined by the same ``kpis`` SQL: views over the
records on a lake, or tables built once when the dashboard serves one (:class:`LakeStore`).

sqlglot (pinned in requirements.txt) was chosen over a portable dataframe layer (ibis): the
KPIs already are SQL, tested against hand-computed answers; transpiling keeps that one text
as the definition, while ibis would mean rewriting every KPI in its expression language and
keeping the SQL for the store anyway.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .. import contract, scope
from ..figures import kpis, rollups
from .db import Store, StoreError
from .schema import MIGRATIONS, migrate

MANIFEST = "lake.json"
# Registry tables exported whole, one file each.
SMALL_TABLES = ("units", "cooperatives", "towns", "targets", "uploads", "meta")


class LakeError(StoreError):
    """A lake that cannot be read or written; the message is Chinese."""


def export_parquet(cur: duckdb.DuckDBPyConnection, out: Path) -> dict[str, int]:
    """Write the store behind ``cur`` as a lake in ``out``; returns records per sector.

    ``out`` must be empty, missing, or an earlier lake (which is replaced). Raises LakeError.
    """
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise LakeError(f"目录 {out} 不是空的，也不是导出过的数据湖（没有 {MANIFEST}）；请换一个目录。")
    if (out / MANIFEST).exists():
        shutil.rmtree(out)
    (out / "records").mkdir(parents=True, exist_ok=True)
    counts = {}
    for s in contract.SECTORS.values():
        counts[s.key] = int(cur.execute(f"SELECT count(*) FROM {s.table}").fetchall()[0][0])
        if not counts[s.key]:
            continue
        # Partition columns come from the month and the cooperative's town; the files hold
        # the record columns only, in month order. Paths go through the relation API, never
        # into SQL text.
        rel = cur.sql(f"""
            SELECT r.*, year(r.month) AS year, coalesce(c.town, $town) AS town
            FROM {s.table} r LEFT JOIN cooperatives c ON c.name = r.cooperative
            ORDER BY r.month, r.cooperative, r.unit""", params={"town": scope.UNASSIGNED_TOWN})
        rel.write_parquet(str(out / "records" / f"sector={s.key}"), partition_by=["year", "town"])
    for t in SMALL_TABLES:
        cur.table(t).write_parquet(str(out / f"{t}.parquet"))
    manifest = {"exported_at": datetime.now().isoformat(timespec="seconds"),
                "schema_version": MIGRATIONS[-1][0], "records": counts,
                "layout": "records/sector=<sector>/year=<year>/town=<town>/*.parquet"}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return counts


def _check(lake: Path) -> dict:
    lake = Path(lake)
    if not (lake / MANIFEST).is_file():
        raise LakeError(f"{lake} 不是数据湖目录（没有 {MANIFEST}）。"
                        f"请先运行 python -m analytics export-parquet --out {lake}")
    return json.loads((lake / MANIFEST).read_text(encoding="utf-8"))


def _records_glob(lake: Path, sector: str) -> str:
    return str(Path(lake) / "records" / f"sector={sector}" / "**" / "*.parquet")


def attach_lake(con: duckdb.DuckDBPyConnection, lake: Path, *, materialise: bool) -> None:
    """Make ``con`` (an in-memory DuckDB with the store's schema) read the lake.

    Record tables become views over the Parquet folder; registry tables are loaded (small);
    the rollups are views (``materialise=False``, one-off queries) or tables built once
    (``materialise=True``, the dashboard).
    """
    manifest = _check(lake)
    for s in contract.SECTORS.values():
        cols = ", ".join([*contract.record_columns(s), "upload_id"])
        con.execute(f"DROP TABLE IF EXISTS {s.table}")
        if manifest["records"].get(s.key):
            con.read_parquet(_records_glob(lake, s.key), hive_partitioning=True).select(cols).create_view(s.table)
        else:
            con.execute(contract.record_table_ddl(s))
    for t in SMALL_TABLES:
        con.execute(f"CREATE OR REPLACE TABLE {t} AS SELECT * FROM read_parquet(?)", [str(Path(lake) / f"{t}.parquet")])
    if not materialise:
        for table in ([r.table for r in rollups.rollups()] + ["coop_months", rollups.GAPS_TABLE]
                      + [g.table for g in rollups.groupings()]):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    for sql in rollups.rollup_rebuild_sql(version=0):
        con.execute(sql if materialise else sql.replace("CREATE OR REPLACE TABLE", "CREATE OR REPLACE VIEW", 1))


def open_lake(lake: Path, *, materialise: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB over the lake: every ``kpis`` function runs on its cursor."""
    con = duckdb.connect()
    migrate(con)
    attach_lake(con, lake, materialise=materialise)
    return con


class LakeStore(Store):
    """The dashboard's store over a lake (``PARK_LAKE``): figures read-only, built once.

    Accounts live in memory for the process (a lake holds no users); any write that would
    change figures is refused with a Chinese message.
    """

    def __init__(self, lake: Path):  # noqa: D107 - no Store.__init__: there is no file to open
        import threading

        self.path = Path(lake)
        self.read_only = False  # account writes go to the in-memory tables
        self._write_lock = threading.RLock()
        self._changes = None
        self._rollups = True
        self.con = open_lake(self.path, materialise=True)

    def write(self, *, figures: bool = True, records: bool = True):  # type: ignore[override]
        if figures:
            raise StoreError(f"看板正以只读方式展示数据湖 {self.path}，不能上传或修改数据。")
        return super().write(figures=False, records=records)


# --- Spark -----------------------------------------------------------------------------------

def spark_session(master: str | None = None) -> Any:
    """A SparkSession on ``master`` (default PARK_SPARK_MASTER, local[2]); needs Java 17."""
    from .. import settings

    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise LakeError("没有安装 pyspark：请运行 .venv/bin/pip install -r requirements-dev.txt"
                        "（或 pip install pyspark==4.3.0）。") from None

    if shutil.which("java") is None:
        raise LakeError("Spark 需要 Java 17：请以 root 运行 bash scripts/system-deps.sh"
                        "（安装 openjdk-17-jre-headless）。")
    master = master or settings.get("PARK_SPARK_MASTER")
    builder = SparkSession.builder.master(master)
    if master.startswith("local"):  # everything in this process: keep the driver on loopback
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
    return (builder
            .appName("park-kpis")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            # Town names are text even when they look like numbers.
            .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
            .getOrCreate())


def quiet(spark: Any) -> Any:
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def to_spark(sql: str) -> str:
    """One statement of analytics.figures.kpis, from DuckDB's dialect to Spark SQL (sqlglot)."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


class SparkCursor:
    """Just enough of a DuckDB cursor for analytics.figures.kpis: ``execute(sql, params)`` then
    ``fetchall`` / ``fetchone`` / ``df``. Rows are collected (not ``toPandas``, which does not
    work with pandas 3)."""

    def __init__(self, spark: Any):
        self.spark = spark
        self._rows: list[tuple] = []
        self._columns: list[str] = []

    def execute(self, sql: str, params: list | None = None) -> SparkCursor:
        frame = self.spark.sql(to_spark(sql), args=list(params) if params else None)
        self._columns = list(frame.columns)
        self._rows = [tuple(r) for r in frame.collect()]
        return self

    def fetchall(self) -> list[tuple]:
        return self._rows

    def fetchone(self) -> tuple | None:
        return self._rows[0] if self._rows else None

    def df(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self._rows, columns=self._columns)

    def close(self) -> None:
        pass


def attach_lake_spark(spark: Any, lake: Path | str) -> SparkCursor:
    """Register the lake's tables and the rollup views in ``spark``; returns a cursor for kpis.

    ``lake`` is a local folder or a URI the cluster reads (``s3a://bucket/lake``, ``hdfs://…``):
    then lake.json is read through Spark too.
    """
    if "://" in str(lake):
        root = str(lake).rstrip("/")
        manifest = json.loads(spark.read.text(f"{root}/{MANIFEST}", wholetext=True).first()[0])
    else:
        manifest = _check(Path(lake))
        root = str(Path(lake).resolve())
    for s in contract.SECTORS.values():
        cols = ", ".join([*contract.record_columns(s), "upload_id"])
        if manifest["records"].get(s.key):
            spark.read.parquet(f"{root}/records/sector={s.key}").createOrReplaceTempView(f"_{s.table}")
            spark.sql(f"CREATE OR REPLACE TEMP VIEW {s.table} AS SELECT {cols} FROM _{s.table}")
        else:
            types = ", ".join(f"CAST(NULL AS {_spark_type(c)}) AS {c.key}" for c in s.columns
                              if c.role != contract.ATTR)
            spark.sql(f"CREATE OR REPLACE TEMP VIEW {s.table} AS SELECT {types}, CAST(NULL AS BIGINT) AS upload_id "
                      "WHERE 1 = 0")
    for t in SMALL_TABLES:
        spark.read.parquet(f"{root}/{t}.parquet").createOrReplaceTempView(t)
    for sql in rollups.rollup_rebuild_sql(version=0):
        view = to_spark(sql.replace("CREATE OR REPLACE TABLE", "CREATE OR REPLACE VIEW", 1))
        spark.sql(view.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW", 1))
    return SparkCursor(spark)


def _spark_type(c: contract.Column) -> str:
    return {"DATE": "DATE", "VARCHAR": "STRING", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE"}[c.sql_type]


def lake_kpis(lake: Path | str, period: scope.Period, *, engine: str = "duckdb", master: str | None = None,
              filters: scope.Filters = scope.Filters()) -> dict:
    """The KPI JSON of :func:`kpis.park_kpis` computed over a lake by DuckDB or Spark."""
    if engine == "duckdb":
        con = open_lake(lake)
        try:
            return kpis.park_kpis(con.cursor(), period, filters)
        finally:
            con.close()
    if engine == "spark":
        spark = quiet(spark_session(master))
        return kpis.park_kpis(attach_lake_spark(spark, lake), period, filters)  # type: ignore[arg-type]
    raise ValueError(f"未知引擎“{engine}”，应为 duckdb 或 spark")
