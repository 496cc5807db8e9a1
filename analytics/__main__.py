"""python -m analytics — a thin command line over the library.

Subcommands: init-db, demo, kpis; and, registered by their own modules through
``add_cli(subparsers)``: ingest (ingest.py), pack (export.py), users (auth.py).
Exit codes: 0 ok, 1 the operation failed (e.g. a file was rejected), 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from . import demo, fmt, kpis
from .db import SCHEMA_VERSION, Store, StoreError, backup, default_db_path

PLUGIN_MODULES = ("analytics.ingest", "analytics.export", "analytics.auth")


def add_db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None,
                   help="DuckDB file (default: $PARK_DB or data/park.duckdb)")


def db_of(args: argparse.Namespace) -> Path:
    return args.db or default_db_path()


def open_store(args: argparse.Namespace, *, create: bool = False, read_only: bool = False) -> Store:
    """Open the store named by --db; StoreError (Chinese message) when missing or locked."""
    return Store(db_of(args), create=create, read_only=read_only)


def period_of(args: argparse.Namespace) -> kpis.Period:
    """--year Y, or --from YYYY-MM --to YYYY-MM; ValueError with a Chinese message otherwise."""
    if args.year is not None and (args.from_ or args.to):
        raise ValueError("--year 与 --from/--to 只能二选一")
    if args.year is not None:
        return kpis.Period.year(args.year)
    if args.from_ and args.to:
        return kpis.Period.months(args.from_, args.to)
    raise ValueError("请给出期间：--year 2023，或 --from 2023-01 --to 2023-06")


def add_period_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int)
    p.add_argument("--from", dest="from_", metavar="YYYY-MM")
    p.add_argument("--to", metavar="YYYY-MM")


def cmd_init_db(args: argparse.Namespace) -> int:
    with open_store(args, create=True) as s:
        print(f"数据库已就绪：{s.path}（结构版本 {SCHEMA_VERSION}）")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    with open_store(args, create=True) as s:
        has_data = s.cursor().execute(
            "SELECT count(*) FROM uploads WHERE sha256 <> 'demo'").fetchone()[0]
        if has_data and not args.force:
            print(f"数据库 {s.path} 里已有上传的真实数据；示例数据会覆盖它们。确需覆盖请加 --force。",
                  file=sys.stderr)
            return 1
        counts = demo.load(s, seed=args.seed)
    total = sum(counts.values())
    print(f"示例数据已写入 {s.path}：{total:,} 条月度记录（种鸭 {counts['duck']:,}，"
          f"生猪 {counts['hog']:,}，大棚 {counts['greenhouse']:,}），2021-01 至 2023-12。")
    return 0


def _print_table(k: dict) -> None:
    print(f"期间 {k['period']['from']} 至 {k['period']['to']}")
    for sector in ("duck", "hog", "greenhouse", "total"):
        print(f"\n[{fmt.sector_name(sector)}]")
        for key, value in k[sector].items():
            if key == "by_crop":
                for crop, v in value.items():
                    print(f"  {crop}: 面积 {fmt.thousands(v['area_mu'], 1)} 亩，"
                          f"产量 {fmt.thousands(v['yield_kg'])} 公斤，"
                          f"亩产 {fmt.thousands(v['yield_kg_per_mu'])} 公斤")
                continue
            shown = fmt.thousands(value, 2 if isinstance(value, float) else 0)
            print(f"  {fmt.metric_name(key):<8} {shown:>20}")


def cmd_kpis(args: argparse.Namespace) -> int:
    period = period_of(args)
    with open_store(args, read_only=True) as s:
        cur = s.cursor()
        result = kpis.park_kpis(cur, period)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_table(result)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    with open_store(args) as s:
        target = backup(s, args.out)
    print(f"已备份到 {target}（恢复：停止看板后，把其中的文件复制回 {db_of(args).parent}）")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analytics", description="园区生产看板 命令行")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init-db", help="创建或升级数据库结构")
    add_db_arg(p)
    p.set_defaults(func=cmd_init_db)

    p = sub.add_parser("demo", help="写入示例数据（2021-01 至 2023-12）")
    add_db_arg(p)
    p.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    p.add_argument("--force", action="store_true", help="覆盖已有的上传数据")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("kpis", help="按口径计算指标")
    add_db_arg(p)
    add_period_args(p)
    p.add_argument("--json", action="store_true", help="输出 JSON（金额单位元，重量公斤）")
    p.set_defaults(func=cmd_kpis)

    p = sub.add_parser("backup", help="备份数据库和已上传的原始文件")
    add_db_arg(p)
    p.add_argument("--out", type=Path, default=Path("backups"), help="备份目录（默认 backups/）")
    p.set_defaults(func=cmd_backup)

    for name in PLUGIN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                continue
            raise
        if hasattr(module, "add_cli"):
            module.add_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    except StoreError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
