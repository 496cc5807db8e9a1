"""The command line, ``python -m analytics …``: parses arguments and calls the library.

Nothing here computes: every subcommand is a few lines over ``analytics.*`` (sqlite-utils'
cli.py is the model), and no library module imports this one.
Exit codes: 0 ok, 1 the operation failed (e.g. a file was rejected), 2 usage error.

One piece: each subcommand's arguments sit beside its thin call, so ``--help`` and the code read together.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path

import pandas as pd

from . import contract, fmt, ingest, scope, settings
from .access import accounts, permissions
from .figures import kpis, lists
from .ingest import templates
from .meeting import export
from .store import backup, demo, files
from .store.db import DatabaseLocked, DuckDBError, Store, StoreError, add_town, assign_town, read_error_message
from .store.files import default_db_path
from .store.schema import SCHEMA_VERSION


def add_db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None,
                   help="DuckDB file (default: $PARK_DB or data/park.duckdb)")


def db_of(args: argparse.Namespace) -> Path:
    return args.db or default_db_path()


def open_store(args: argparse.Namespace, *, create: bool = False, read_only: bool = False) -> Store:
    """Open the store named by --db; StoreError (Chinese message) when missing or locked."""
    return Store(db_of(args), create=create, read_only=read_only)


def period_of(args: argparse.Namespace) -> scope.Period:
    """--year Y, or --from YYYY-MM --to YYYY-MM; ValueError with a Chinese message otherwise."""
    if args.year is not None and (args.from_ or args.to):
        raise ValueError("--year 与 --from/--to 只能二选一")
    if args.year is not None:
        return scope.Period.year(args.year)
    if args.from_ and args.to:
        return scope.Period.months(args.from_, args.to)
    raise ValueError("请给出期间：--year 2023，或 --from 2023-01 --to 2023-06")


def add_period_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int)
    p.add_argument("--from", dest="from_", metavar="YYYY-MM")
    p.add_argument("--to", metavar="YYYY-MM")


def cmd_init_db(args: argparse.Namespace) -> int:
    with open_store(args, create=True) as s:
        print(f"数据库已就绪：{s.path}（结构版本 {SCHEMA_VERSION}）")
    return 0


def cmd_first_start(args: argparse.Namespace) -> int:
    """What ``make run`` does just before starting the dashboard: the database, and on the
    first start the admin account, its password framed on the console so nobody misses it."""
    note = io.StringIO()
    try:
        with open_store(args, create=True) as s:
            created = accounts.ensure_admin(s, out=note)
    except permissions.AccountError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1
    reset = f".venv/bin/python -m analytics users set-password {accounts.ADMIN_USERNAME}"
    if not created:
        print(f"管理员账号已存在。忘记密码：先停止看板（Ctrl+C），再运行 {reset}")
        return 0
    rule = "#" * 72
    lines = ["园区生产看板 · 首次启动", "", *note.getvalue().strip().splitlines(), "",
             "以后忘记密码：先停止看板（Ctrl+C），再运行", f"    {reset}"]
    print("\n".join(["", rule, *(f"#  {line}".rstrip() for line in lines), rule, ""]), flush=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    with open_store(args, create=True) as s:
        has_data = s.cursor().execute(
            "SELECT count(*) FROM uploads WHERE sha256 <> 'demo'").fetchone()[0]
        if has_data and not args.force:
            print(f"数据库 {s.path} 里已有上传的真实数据；示例数据会覆盖它们。确需覆盖请加 --force。",
                  file=sys.stderr)
            return 1
        counts = demo.load(s, seed=args.seed, towns=args.towns)
    total = sum(counts.values())
    towns = f"{args.towns} 个乡镇，" if args.towns > 1 else ""
    print(f"示例数据已写入 {s.path}：{towns}{total:,} 条月度记录（种鸭 {counts['duck']:,}，"
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
    filters = scope.Filters(towns=tuple(args.town or ()))
    if args.lake:
        from .store import lake

        result = lake.lake_kpis(args.lake, period, engine=args.engine, master=args.master, filters=filters)
    elif args.engine != "duckdb":
        raise ValueError("--engine spark 需要 --lake DIR（先用 export-parquet 导出数据湖）")
    else:
        with open_store(args, read_only=True) as s:
            cur = s.cursor()
            if getattr(args, "include_pending", False):
                from .figures import pending

                cur = pending.with_pending(cur)
            result = kpis.park_kpis(cur, period, filters)
            if getattr(args, "include_pending", False):
                result["includes_pending"] = True  # 含待审核数据: not the accepted figures
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_table(result)
    return 0


def cmd_export_parquet(args: argparse.Namespace) -> int:
    from .store import lake

    with open_store(args, read_only=True) as s:
        counts = lake.export_parquet(s.cursor(), args.out)
    print(f"已导出数据湖 {args.out}：{sum(counts.values()):,} 条月度记录（按 板块/年份/乡镇 分区的 Parquet）。")
    return 0


def cmd_towns(args: argparse.Namespace) -> int:
    if args.towns_command == "list":
        with open_store(args, read_only=True) as s:
            cur = s.cursor()
            for town in lists.towns(cur):
                n = len(lists.cooperatives(cur, (town,)))
                print(f"{town}\t{n} 个合作社")
        return 0
    with open_store(args) as s:
        if args.towns_command == "add":
            add_town(s, args.name)
            print(f"已登记乡镇 {args.name}。")
        else:
            assign_town(s, args.cooperative, args.town)
            print(f"已把合作社 {args.cooperative} 归入 {args.town}。")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    db = db_of(args)
    try:
        store = open_store(args)
    except DatabaseLocked:
        # The dashboard holds the file; it makes its own backups and one on request.
        b = files.newest(db)
        last = f"看板最近一次备份：{b.label()}。" if b else f"备份目录 {files.backup_dir(db)} 中还没有备份。"
        print(f"看板正在运行，命令行打不开数据库 {db}，所以不能在这里备份。\n{last}\n"
              "要立即备份：以管理员身份登录看板，打开“管理”页的“备份”标签，点“立即备份”。", file=sys.stderr)
        return 1
    with store:
        info = backup.make_backup(store, args.out)
    m = info.manifest or {}
    print(f"已备份到 {info.path}：{len(m.get('tables', {}))} 张表、{len(m.get('kpis', {}))} 个年份的指标记入清单 "
          f"{files.MANIFEST}。\n恢复：先停止看板，再运行 {files.restore_command(info.path, db)}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    result = backup.restore(args.backup, db_of(args), unverified=args.unverified)
    print(result.message())
    return 0


# --- command line ----------------------------------------------------------------------------

def _print_issues(df: pd.DataFrame, file=None, limit: int | None = None) -> None:
    file = file or sys.stderr
    shown = df if limit is None else df.head(limit)
    for r in shown.itertuples(index=False):
        sheet = getattr(r, "sheet", "")
        parts = ([f"工作表“{sheet}”"] if isinstance(sheet, str) and sheet else []) + \
            [f"第 {int(r.row)} 行" if pd.notna(r.row) else "文件"]
        if r.column:
            parts.append(f"“{r.column}”")
        if r.value not in ("", None):
            parts.append(f"值“{r.value}”")
        print(f"  {' '.join(parts)}：{r.reason}", file=file)
    if limit is not None and len(df) > limit:
        print(f"  ……另有 {len(df) - limit} 条", file=file)


def _name_choices(args: argparse.Namespace, p: ingest.Parsed) -> ingest.NameChoices:
    """--map 文件中的名称=已登记名称 (cooperatives or units) and --new-names."""
    choices = ingest.NameChoices(accept_new=args.new_names)
    coops = set(p.cooperatives)
    for item in args.map or []:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ValueError(f"--map 应写成 文件中的名称=已登记名称，而不是“{item}”")
        old, new = old.strip(), new.strip()
        if old in coops:
            choices.cooperatives[old] = new
        for coop in p.frame.loc[p.frame["unit"] == old, "cooperative"].unique():
            choices.units[(choices.cooperatives.get(coop, coop), old)] = new
    return choices


def _column_choices(args: argparse.Namespace) -> ingest.ColumnChoices:
    """--column 表头=列 and --ignore-column 表头."""
    mapped = {}
    for item in args.column or []:
        head, sep, col = item.rpartition("=")
        if not sep or not head.strip() or not col.strip():
            raise ValueError(f"--column 应写成 表头=列（如 本月出栏(头)=出栏），而不是“{item}”")
        mapped[head.strip()] = col.strip()
    return ingest.ColumnChoices(mapped, set(args.ignore_column or []))


def _print_columns(p: ingest.Parsed, name: str) -> None:
    """Every column of the file and what it became (only when some column is not read as itself)."""
    cols = p.columns
    if not len(cols) or (cols["status"] == "mapped").all():
        return
    print(f"  {name}：各列读作：")
    multi = cols["sheet"].nunique() > 1
    for r in cols.itertuples(index=False):
        where = f"工作表“{r.sheet}” " if multi and r.sheet else ""
        print(f"    {where}“{r.column}” → {r.became}")


def _explanations(args: argparse.Namespace) -> dict:
    """--explain 行号=说明 (or 工作表!行号=说明) and --explain-all 说明."""
    out: dict = {}
    for item in args.explain or []:
        where, sep, text = item.partition("=")
        sheet, bang, row = where.rpartition("!")
        if not sep or not row.strip().isdigit() or not text.strip():
            raise ValueError(f"--explain 应写成 行号=说明（如 3=新建猪舍），而不是“{item}”")
        out[(sheet.strip(), int(row)) if bang else int(row)] = text.strip()
    if args.explain_all and args.explain_all.strip():
        out["*"] = args.explain_all.strip()
    return out


def cmd_ingest(args: argparse.Namespace) -> int:
    paths = [Path(f) for f in args.files]
    missing = [str(f) for f in paths if not f.is_file()]
    if missing:
        print(f"错误：找不到文件：{'、'.join(missing)}", file=sys.stderr)
        return 2
    limit = settings.upload_limits()["max_bytes"]
    dry = args.dry_run
    if dry and not db_of(args).exists():
        store = None
    else:
        store = open_store(args, create=not dry, read_only=dry)
        if not dry:
            ingest.sweep_uploads(store)  # what a killed upload may have left
    try:
        columns = _column_choices(args)
        explained = _explanations(args)
    except ValueError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    failed = 0
    try:
        actor = _actor_as(store, args.as_user) if store is not None else permissions.SYSTEM
        for f in paths:
            if f.stat().st_size > limit:  # refused before reading a byte
                failed += 1
                print(f"✗ {f}：文件有 {f.stat().st_size / 1048576:,.1f} MB，超过上限 {limit / 1048576:,.0f} MB"
                      "（设置 PARK_UPLOAD_MAX_MB）。请拆成几个文件。", file=sys.stderr)
                continue
            p = ingest.parse(f.read_bytes(), f.name, args.sector, columns=columns)
            recalled = ingest.recall_columns(store.cursor(), p, columns) if store is not None else {}
            if recalled:  # this cooperative's choices for this layout, kept from an earlier upload
                p = ingest.parse(f.read_bytes(), f.name, args.sector,
                                 columns=ingest.merged_columns(recalled, columns))
                names = {c.key: c.header for c in contract.SECTORS[p.sector].columns} if p.sector else {}
                print(f"  {f.name}：{ingest.describe_recalled_columns(recalled, names, 'zh', cli=True)}")
            if not p.ok:
                failed += 1
                print(f"✗ {f}：{p.summary()}", file=sys.stderr)
                if p.errors["row"].notna().any():
                    _print_issues(p.errors)
                continue
            for note in p.layout_notes() + p.notes:
                print(f"  {f.name}：{note}")
            _print_columns(p, f.name)
            if len(p.readings):
                print(f"  {f.name}：{len(p.readings)} 个占位符按约定读取（—、/、- 为未上报；无、会计格式的 - 为 0）：")
                _print_issues(p.readings, file=sys.stdout, limit=10)
            choices = _name_choices(args, p)
            try:
                pv = ingest.preview(store.cursor(), p, choices) if store is not None else None
            except ingest.Rejected as e:  # a cross-check against the stored months
                failed += 1
                print(f"✗ {f}：{e}", file=sys.stderr)
                _print_issues(e.errors)
                continue
            warnings = pv.warnings if pv is not None else p.warnings
            if len(warnings):
                print(f"! {f}：{len(warnings)} 条提醒（不影响导入）：", file=sys.stderr)
                _print_issues(warnings, limit=20)
            if len(p.verify):
                print(f"! {f}：{len(p.verify)} 处数值超出常见范围，需要核实并填写上报说明（会和数值一起保存）：",
                      file=sys.stderr)
                _print_issues(p.verify, limit=20)
                missing = ingest.missing_explanations(p, explained)
                if len(missing) and not dry:
                    failed += 1
                    rows = "、".join(str(int(r)) for r in missing["row"].drop_duplicates().head(10))
                    print(f"✗ {f}：未导入。第 {rows} 行需要上报说明：用 --explain \"行号=说明\" 逐行填写，"
                          "或 --explain-all \"说明\"。", file=sys.stderr)
                    continue
            if pv is not None and len(pv.similar) and not args.new_names:
                failed += 1
                print(f"✗ {f}：未导入。{ingest.identity.similar_message(pv.similar, 'zh')}", file=sys.stderr)
                continue
            if dry:
                if pv is None:
                    print(f"✓ {f}：检查通过（{contract.SECTORS[p.sector].zh}，{len(p.frame):,} 行）；未写入。")
                elif pv.duplicate_of:
                    failed += 1
                    print(f"✗ {f}：{ingest.already_message('zh', pv.duplicate_of)}", file=sys.stderr)
                else:
                    print(f"✓ {f}：检查通过（{contract.SECTORS[p.sector].zh}，{pv.n_rows:,} 行：新增 "
                          f"{pv.n_new:,}，替换 {pv.n_replaced:,}，新单元 {len(pv.new_units)}）；试运行，未写入。")
                continue
            try:
                res = ingest.commit(store, p, actor, names=choices, explanations=explained)
            except ingest.Rejected as e:
                failed += 1
                print(f"✗ {f}：{e}", file=sys.stderr)
                _print_issues(e.errors)
                continue
            except (ingest.IngestError, permissions.PermissionDenied) as e:
                failed += 1
                print(f"✗ {f}：{e}", file=sys.stderr)
                continue
            print(f"✓ {f}：{res.message()}")
    finally:
        if store is not None:
            store.close()
    return 1 if failed else 0


def _actor_as(store: Store, username: str | None) -> permissions.Actor:
    """The account ``--as USERNAME`` acts as (its role and cooperative), else the console's admin."""
    if not username:
        return permissions.SYSTEM
    a = accounts.get_user(store.cursor(), username)
    if a is None or a.disabled:
        raise ValueError(f"没有可用的账号“{username}”（python -m analytics users list 列出账号）")
    return a.actor()


def cmd_review(args: argparse.Namespace) -> int:
    """review list | accept ID | return ID --reason TEXT, as the console's admin (audited)."""
    from .ingest import review

    if args.review_command == "list":
        with open_store(args, read_only=True) as store:
            if args.month:
                scope.parse_month(args.month)  # ValueError (exit 2) for a bad month
            df = review.submissions_list(store.cursor(), args.month)
        if args.json:
            out = df.astype(object).where(df.notna(), None)
            for c in ("submitted_at", "reviewed_at"):
                out[c] = out[c].map(lambda v: v.strftime("%Y-%m-%d %H:%M:%S") if v is not None else None)
            rows = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                    for r in out.to_dict(orient="records")]
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        if df.empty:
            print("没有报送。")
        for r in df.itertuples(index=False):
            reason = f"\t原因：{r.reason}" if isinstance(r.reason, str) and r.reason else ""
            print(f"{r.submission_id}\t{review.STATES[r.state][0]}\t{contract.SECTORS[r.sector].zh}\t"
                  f"{r.cooperatives}\t{r.months}\t{r.n_rows} 行\t{r.submitted_by}\t"
                  f"{r.submitted_at:%Y-%m-%d %H:%M}\t{r.filename}{reason}")
        return 0
    with open_store(args) as store:
        try:
            if args.review_command == "accept":
                res = review.accept(store, args.submission_id, permissions.SYSTEM)
                print(f"已通过报送 {args.submission_id}：{res.message()}")
            else:
                review.return_submission(store, args.submission_id, permissions.SYSTEM, args.reason)
                print(f"已退回报送 {args.submission_id}，原因：{args.reason.strip()}")
        except (ingest.IngestError, permissions.PermissionDenied) as e:
            print(f"错误：{e}", file=sys.stderr)
            return 1
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() == ".csv":
        out.write_bytes(templates.template_csv(args.sector))
    elif out.suffix.lower() == ".xlsx":
        out.write_bytes(templates.template_xlsx(args.sector))
    else:
        print("错误：--out 须以 .csv 或 .xlsx 结尾", file=sys.stderr)
        return 2
    print(f"模板已写入 {out}（{contract.SECTORS[args.sector].zh}）")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:

    with open_store(args) as store:
        try:
            r = ingest.undo(store, args.upload_id, permissions.SYSTEM)
        except (ingest.UndoRefused, permissions.PermissionDenied) as e:
            print(f"错误：{e}", file=sys.stderr)
            return 1
    print(f"已撤销编号 {r['upload_id']}（{r['filename']}）：移除 {r['removed']:,} 条，恢复 {r['restored']:,} 条原值。")
    return 0


def _add_ingest(subparsers: argparse._SubParsersAction) -> None:

    p = subparsers.add_parser("ingest", help="导入月报文件（CSV/TXT/XLSX/XLS），按顺序逐个导入")
    p.add_argument("files", nargs="+", metavar="FILE")
    add_db_arg(p)
    p.add_argument("--sector", choices=contract.SECTOR_KEYS, help="板块；不给则按表头自动判断")
    p.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    p.add_argument("--new-names", action="store_true",
                   help="确认文件中与已登记名称相像的合作社/单元确是新的，登记为新名称")
    p.add_argument("--map", action="append", metavar="名称=已登记名称",
                   help="把文件中的合作社或单元名称对应到已登记的名称（可多次给出；会记住供下月使用）")
    p.add_argument("--column", action="append", metavar="表头=列",
                   help="把读不懂的一列对应到模板的列，如 --column \"本月出栏(头)=出栏\"（可多次给出）")
    p.add_argument("--ignore-column", action="append", metavar="表头",
                   help="明确忽略读不懂的一列（可多次给出）")
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="以该账号提交：合作社管理员的文件成为“待审核”的报送（只能是其合作社的数据）；"
                        "不给则以管理员身份直接导入")
    p.add_argument("--explain", action="append", metavar="行号=说明",
                   help="为超出常见范围、需要核实的一行填写上报说明，如 --explain \"3=新建猪舍，本月集中补栏\"")
    p.add_argument("--explain-all", metavar="说明", help="为所有需要核实的行填写同一条上报说明")
    p.set_defaults(func=cmd_ingest)

    p = subparsers.add_parser("review", help="审核合作社的报送：列出、通过、退回（记入操作记录）")
    rs = p.add_subparsers(dest="review_command", required=True)
    a = rs.add_parser("list", help="列出报送（最新的在前）")
    a.add_argument("--month", metavar="YYYY-MM", help="只列出含这个月份的报送")
    a.add_argument("--json", action="store_true", help="输出 JSON")
    a = rs.add_parser("accept", help="通过一份待审核的报送：其数值从此计入")
    a.add_argument("submission_id", type=int, metavar="ID")
    a = rs.add_parser("return", help="退回一份待审核的报送（须写明原因）：其数值不计入")
    a.add_argument("submission_id", type=int, metavar="ID")
    a.add_argument("--reason", required=True, help="退回原因（合作社在上传页看到）")
    for sp in rs.choices.values():
        add_db_arg(sp)
    p.set_defaults(func=cmd_review)

    p = subparsers.add_parser("template", help="生成上传模板（.csv 或 .xlsx）")
    p.add_argument("--sector", choices=contract.SECTOR_KEYS, required=True)
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=cmd_template)

    p = subparsers.add_parser("undo", help="撤销一次上传，恢复上传前的数值")
    p.add_argument("upload_id", type=int)
    add_db_arg(p)
    p.set_defaults(func=cmd_undo)

# --- CLI: python -m analytics pack ---------------------------------------------------------------

def cmd_pack(args: argparse.Namespace) -> int:

    period = period_of(args)
    out: Path = args.out
    if out.suffix.lower() != ".pptx":
        raise ValueError(f"输出文件“{out}”应以 .pptx 结尾")

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction * 100:3.0f}%] {message}", file=sys.stderr, flush=True)

    with open_store(args, read_only=True) as s:
        try:
            data = export.build_deck(s.cursor(), period, demo=s.is_demo(), lang=args.lang, exact=args.exact,
                                     progress=progress)
        except (export.ExportUnavailable, export.ExportError) as e:
            print(f"错误：{e}", file=sys.stderr)
            return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"汇报材料已生成：{out}（{len(data) / 1024:,.0f} KB，{period.label()}）")
    return 0


def _add_pack(subparsers: argparse._SubParsersAction) -> None:

    p = subparsers.add_parser("pack", help="生成汇报 PPT（与汇报页相同的各屏：图表、指标、报告段落、口径）")
    add_db_arg(p)
    add_period_args(p)
    p.add_argument("--out", type=Path, required=True, help="输出的 .pptx 文件")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="幻灯片语言：zh 中文（默认）、en 英文")
    p.add_argument("--exact", action="store_true", help="报告段落用精确数字（默认按“余/多”写概数）")
    p.set_defaults(func=cmd_pack)

# --- command line --------------------------------------------------------------------------

def _read_password(args: argparse.Namespace) -> str:
    """From stdin with --password-stdin; else asked twice without echo on a terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise permissions.AccountError("没有终端可以输入密码：请加 --password-stdin，从标准输入传入密码。")
    import getpass

    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        raise permissions.AccountError("两次输入的密码不一致。")
    return first


def _status(a: accounts.Account) -> str:
    if a.disabled:
        return "已停用"
    if a.locked():
        return f"锁定至 {a.locked_until:%m-%d %H:%M}"
    return "正常"


def cmd_users(args: argparse.Namespace) -> int:
    try:
        if args.users_command == "list":
            with open_store(args, read_only=True) as s:
                users = accounts.list_users(s.cursor())
            if not users:
                print("还没有用户。看板首次启动时会创建管理员 admin。")
                return 0
            print("用户名\t角色\t合作社\t状态")
            for a in users:
                print(f"{a.username}\t{permissions.ROLE_NAMES[a.role][0]}\t{a.cooperative or '—'}\t{_status(a)}")
            return 0
        with open_store(args, create=args.users_command == "add") as s:
            if args.users_command == "add":
                a = accounts.create_user(s, permissions.SYSTEM, args.name, _read_password(args), args.role,
                                args.cooperative, args.display_name)
                coop = f"，合作社：{a.cooperative}" if a.cooperative else ""
                print(f"已添加用户 {a.username}（{permissions.ROLE_NAMES[a.role][0]}{coop}）。")
                if a.cooperative and a.cooperative not in lists.cooperatives(s.cursor()):
                    print(f"注意：数据库里还没有合作社“{a.cooperative}”，请确认名称与上报文件一致。",
                          file=sys.stderr)
            elif args.users_command in ("disable", "enable"):
                accounts.disable_user(s, permissions.SYSTEM, args.name, disabled=args.users_command == "disable")
                print(f"已{'停用' if args.users_command == 'disable' else '启用'}用户 {args.name}。")
            elif args.users_command == "set-password":
                accounts.set_password(s, permissions.SYSTEM, args.name, _read_password(args))
                print(f"已为 {args.name} 设置新密码（锁定已解除）。")
            elif args.users_command == "unlock":
                accounts.unlock_user(s, permissions.SYSTEM, args.name)
                print(f"已解锁用户 {args.name}。")
        return 0
    except (permissions.AccountError, permissions.PermissionDenied) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1


def cmd_settings(args: argparse.Namespace) -> int:
    for s in settings.SETTINGS:
        value = settings.get(s.name)
        if "PASSWORD" in s.name:
            value = "（已设置）" if os.environ.get(s.name) else "（未设置）"
        print(f"{s.name}={value}\n    {s.help}（默认 {s.default or '空'}）")
    return 0


def _add_users(subparsers: argparse._SubParsersAction) -> None:

    p = subparsers.add_parser("users", help="管理看板账号（添加、列出、停用、重置密码）")
    us = p.add_subparsers(dest="users_command", required=True)
    a = us.add_parser("add", help="添加用户")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=permissions.ROLES,
                   help="admin 管理员；viewer 农业办（只读）；manager 合作社（只能上报本社）")
    a.add_argument("--cooperative", help="合作社名称（manager 必填）")
    a.add_argument("--display-name", help="显示名称")
    a.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")
    us.add_parser("list", help="列出用户")
    for name, text in (("disable", "停用用户"), ("enable", "重新启用用户"), ("unlock", "解除锁定")):
        us.add_parser(name, help=text).add_argument("name")
    sp = us.add_parser("set-password", help="设置新密码（同时解除锁定）")
    sp.add_argument("name")
    sp.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")
    for sub in us.choices.values():
        add_db_arg(sub)
    p.set_defaults(func=cmd_users)

    s = subparsers.add_parser("settings", help="列出看板的设置（环境变量）及当前值")
    s.set_defaults(func=cmd_settings)


def cmd_warnings(args: argparse.Namespace) -> int:
    """The stored 预警 (open and handled; --evaluate judges every month again first, app stopped)."""
    from .figures import warnings

    if args.month:
        scope.parse_month(args.month)  # a Chinese usage error for a bad month
    with open_store(args, read_only=not args.evaluate) as s:
        if args.evaluate:
            s.run_write(warnings.evaluate_warnings, figures=False)
        df = warnings.warning_events(s.cursor(), args.month)
    events = [{k: (None if pd.isna(v) else v.isoformat() if hasattr(v, "isoformat") else
                   bool(v) if k == "active" else v) for k, v in row.items()}
              for row in df.drop(columns=["state_at"]).to_dict("records")]
    if args.json:
        print(json.dumps({"month": args.month, "events": events}, ensure_ascii=False, indent=2, default=str))
        return 0
    if not events:
        print("没有预警。" if not args.month else f"{args.month} 没有预警。")
    for e in events:
        name = warnings.RULE_NAMES[e["rule_id"]][0]
        where = e["town"] if e["unit"] is None else f"{e['cooperative']} / {e['unit']}"
        fig, lim = warnings.figure_texts(e["rule_id"], e["figure"], e["threshold"])
        print(f"{e['month']}  {name}  {where}  {fig}（界限 {lim}，{warnings.LEVELS[e['level']][0]}）  {e['state']}"
              + (f"：{e['note']}" if e["note"] else ""))
    return 0


def _add_warnings(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("warnings", help="列出预警（能繁母猪保有量、存栏下降、死淘率异常、连续亏损）")
    add_db_arg(p)
    p.add_argument("--month", metavar="YYYY-MM", help="只列这个月的预警")
    p.add_argument("--json", action="store_true", help="输出 JSON（比例为小数，亏损为元）")
    p.add_argument("--evaluate", action="store_true", help="先按规则重新判断所有月份（须先停止看板）")
    p.set_defaults(func=cmd_warnings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analytics", description="园区生产看板 命令行")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init-db", help="创建或升级数据库结构")
    add_db_arg(p)
    p.set_defaults(func=cmd_init_db)

    p = sub.add_parser("first-start", help="启动看板前的准备（make run 调用）：数据库，首次启动时创建管理员并显示密码")
    add_db_arg(p)
    p.set_defaults(func=cmd_first_start)

    p = sub.add_parser("demo", help="写入示例数据（2021-01 至 2023-12）")
    add_db_arg(p)
    p.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    p.add_argument("--force", action="store_true", help="覆盖已有的上传数据")
    p.add_argument("--towns", type=int, default=1, metavar="N",
                   help="复制 N 个与示例园区相同的乡镇（1 即今天的园区；10 约 100 万条、100 约 1000 万条记录）")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("kpis", help="按口径计算指标")
    add_db_arg(p)
    add_period_args(p)
    p.add_argument("--json", action="store_true", help="输出 JSON（金额单位元，重量公斤）")
    p.add_argument("--town", action="append", metavar="乡镇", help="只算这些乡镇（可重复）")
    p.add_argument("--lake", metavar="DIR", help="在 export-parquet 导出的数据湖上计算，而不是数据库"
                   "（spark 引擎也可用 s3a://… 等集群能读的地址）")
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="数据湖上用哪个引擎：duckdb（默认）或 spark（Apache Spark SQL，需要 Java 17）")
    p.add_argument("--master", help="Spark master（默认 $PARK_SPARK_MASTER 或 local[2]），如 spark://host:7077")
    p.add_argument("--include-pending", action="store_true",
                   help="含待审核数据：加上等待审核的报送（JSON 中 includes_pending 为 true）；默认只计已通过的数据")
    p.set_defaults(func=cmd_kpis)

    p = sub.add_parser("export-parquet", help="把数据库导出为 Parquet 数据湖（按 板块/年份/乡镇 分区）")
    add_db_arg(p)
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="输出目录（空目录或以前导出的数据湖）")
    p.set_defaults(func=cmd_export_parquet)

    p = sub.add_parser("towns", help="乡镇：列出、登记，把合作社归入乡镇")
    ts = p.add_subparsers(dest="towns_command", required=True)
    ts.add_parser("list", help="列出乡镇和各自的合作社数")
    ts.add_parser("add", help="登记一个乡镇").add_argument("name")
    a = ts.add_parser("assign", help="把合作社归入乡镇")
    a.add_argument("cooperative")
    a.add_argument("town")
    for sp in ts.choices.values():
        add_db_arg(sp)
    p.set_defaults(func=cmd_towns)

    p = sub.add_parser("backup", help="备份数据库和已上传的原始文件（看板停止时；运行中请用“管理”页）")
    add_db_arg(p)
    p.add_argument("--out", type=Path, default=None,
                   help="备份目录（默认 $PARK_BACKUP_DIR，否则数据库旁的 backups/）")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="从备份恢复数据库（须先停止看板；原文件改名保留）")
    p.add_argument("backup", type=Path, metavar="BACKUP", help="备份文件夹（park-YYYYMMDD-HHMMSS）")
    add_db_arg(p)
    p.add_argument("--unverified", action="store_true",
                   help="备份没有清单 manifest.json 时也恢复（只检查能否打开）")
    p.set_defaults(func=cmd_restore)

    _add_ingest(sub)
    _add_pack(sub)
    _add_users(sub)
    _add_warnings(sub)
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
    except DuckDBError as e:  # damage met after opening: a message and the backup, no traceback
        print(f"错误：{read_error_message(getattr(args, 'db', None) or default_db_path(), e)}", file=sys.stderr)
        return 1

