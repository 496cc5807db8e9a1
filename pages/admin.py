"""管理 Admin: accounts, annual targets, the unit registry, backups and the audit log. Administrators only.

Every change goes through analytics.access (or analytics.store.backup), which checks the acting user again
and writes the audit row in the same transaction.
"""

import pandas as pd
import streamlit as st

from analytics import fmt, settings
from analytics.access import accounts, audit, lockout, permissions
from analytics.figures import tables
from analytics.figures.annual_targets import TARGET_METRICS
from analytics.scope import Period
from analytics.store import backup, files, registry
from analytics.text import md
from ui import auth
from ui.cache import q, store
from ui.scaffold import tabs
from ui.state import lang, t

auth.require("admin")
me = auth.actor()
L = lang()
st.title(t("管理", "Administration"))
if done := st.session_state.pop("_admin_done", None):
    st.success(md(done))


def attempt(fn, *args, success: str, clear: tuple[str, ...] = (), **kwargs) -> None:
    """Run an analytics edit; on success empty the ``clear`` widgets and rerun with a message,
    on refusal show why and keep what was typed, so it can be corrected rather than retyped."""
    try:
        fn(store(), me, *args, **kwargs)
    except (permissions.AccountError, permissions.PermissionDenied) as e:
        st.error(md(e))
    else:
        st.session_state["_admin_reset"] = clear
        st.session_state["_admin_done"] = success
        st.session_state["_admin_units_v"] = st.session_state.get("_admin_units_v", 0) + 1
        st.rerun()


tab_users, tab_targets, tab_units, tab_backup, tab_audit = tabs("admin_tab", {
    "users": t("用户", "Users"), "targets": t("年度目标", "Annual targets"), "units": t("单元登记", "Unit registry"),
    "backup": t("备份", "Backups"), "audit": t("操作记录", "Audit log")}).values()
coops = q("cooperatives")
NEW_NAME = t("或输入新合作社名称（列表中没有时）", "Or type a new cooperative's name (when not listed)")
NEW_COOP = t("确是新合作社（名称与已登记的相近时勾选）",
             "A new cooperative (tick when the name is like a registered one)")
NEW_COOP_HELP = t("输入的名称去掉“专业”“养殖”“合作社”、空格、括号后与已登记的合作社相同时，系统会先提醒，"
                  "以免同一个合作社登记成两个。", "A name that matches a registered one once generic words, "
                  "spaces and brackets are dropped is refused first, so one cooperative is not registered twice.")

# The add form's fields as they start. A widget's value can only be set before it is drawn, so a
# success empties them at the start of the next run (dropping the keys left the browser showing
# what had been typed, the password too).
ADD_FRESH = {"add_name": "", "add_role": "viewer", "add_coop": None, "add_coop_new": "", "add_new_coop": False,
             "add_pw": ""}
for key in st.session_state.pop("_admin_reset", ()):
    st.session_state[key] = ADD_FRESH[key]
for key in ("add_role", "add_coop"):  # least power first; no cooperative chosen
    st.session_state.setdefault(key, ADD_FRESH[key])

with tab_users:
    users = accounts.list_users(store().cursor())
    st.dataframe(pd.DataFrame([{
        t("用户名", "Username"): a.username, t("角色", "Role"): auth.role_name(a.role),
        t("合作社", "Cooperative"): a.cooperative or "—",
        t("状态", "Status"): (t("已停用", "disabled") if a.disabled else
                            t(f"锁定至 {a.locked_until:%H:%M}", f"locked until {a.locked_until:%H:%M}")
                            if a.locked() else t("正常", "active")),
        t("创建时间", "Created"): f"{a.created_at:%Y-%m-%d %H:%M}" if a.created_at else "—"} for a in users]),
        hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left, st.form("admin_add_user"):
        st.subheader(t("新增用户", "Add a user"))
        name = st.text_input(t("用户名", "Username"), key="add_name")
        role = st.selectbox(t("角色", "Role"), permissions.ROLES,
                            format_func=auth.role_name, key="add_role", placeholder=t("选择角色", "Choose a role"))
        # A text box for a new name rather than the selectbox's own "Add: …" entry (English, and
        # easy to mistake for choosing a registered one).
        coop = st.selectbox(t("合作社（合作社管理员必填）", "Cooperative (managers)"), coops,
                            key="add_coop", placeholder=t("选择已登记的合作社", "Choose a registered one"))
        typed = st.text_input(NEW_NAME, key="add_coop_new")
        new_coop = st.checkbox(NEW_COOP, key="add_new_coop", help=NEW_COOP_HELP)
        pw = st.text_input(t("初始密码（至少 8 位）", "Initial password (8+ characters)"), type="password",
                           key="add_pw")
        if st.form_submit_button(t("添加", "Add"), type="primary"):
            attempt(accounts.create_user, name, pw, role, typed.strip() or coop, new_cooperative=new_coop,
                    clear=("add_name", "add_role", "add_coop", "add_coop_new", "add_new_coop", "add_pw"),
                    success=t(f"已添加用户 {name.strip()}。", f"User {name.strip()} added."))
    with right:
        st.subheader(t("修改用户", "Change a user"))
        chosen = st.selectbox(t("用户", "User"), [a.username for a in users], key="edit_user",
                              placeholder=t("选择用户", "Choose a user"))
        a = next(x for x in users if x.username == chosen)
        with st.form("admin_edit_user"):
            new_role = st.selectbox(t("角色", "Role"), permissions.ROLES, index=permissions.ROLES.index(a.role),
                                    format_func=auth.role_name, key=f"edit_role_{chosen}",
                                    placeholder=t("选择角色", "Choose a role"))
            options = coops if a.cooperative in coops or not a.cooperative else [a.cooperative, *coops]
            new_coop = st.selectbox(t("合作社", "Cooperative"), options,
                                    index=options.index(a.cooperative) if a.cooperative else None,
                                    key=f"edit_coop_{chosen}",
                                    placeholder=t("选择已登记的合作社", "Choose a registered one"))
            typed = st.text_input(NEW_NAME, key=f"edit_coop_new_{chosen}")
            really_new = st.checkbox(NEW_COOP, key=f"edit_new_coop_{chosen}", help=NEW_COOP_HELP)
            if st.form_submit_button(t("保存角色和合作社", "Save role and cooperative")):
                attempt(accounts.assign_cooperative, chosen, typed.strip() or new_coop, new_role,
                        new_cooperative=really_new,
                        success=t(f"已更新 {chosen} 的角色和合作社。", f"{chosen} updated."))
        with st.form("admin_reset_pw", clear_on_submit=True):
            new_pw = st.text_input(t("新密码（同时解除锁定）", "New password (also unlocks)"),
                                   type="password", key="reset_pw")
            if st.form_submit_button(t("重置密码", "Reset password")):
                attempt(accounts.set_password, chosen, new_pw,
                        success=t(f"已为 {chosen} 设置新密码。", f"New password set for {chosen}."))
        c1, c2 = st.columns(2)
        if c1.button(t("启用", "Enable") if a.disabled else t("停用", "Disable"), key="toggle_user"):
            attempt(accounts.disable_user, chosen, disabled=not a.disabled,
                    success=t(f"已{'启用' if a.disabled else '停用'} {chosen}。", f"{chosen} updated."))
        if c2.button(t("解除锁定", "Unlock"), key="unlock_user", disabled=not a.locked()):
            attempt(accounts.unlock_user, chosen, success=t(f"已解锁 {chosen}。", f"{chosen} unlocked."))
    locked = lockout.locked_addresses(store().cursor())
    if len(locked):
        st.subheader(t("暂停登录的地址", "Addresses locked out"))
        st.caption(t("从这些地址连续输错密码，暂时不能登录（空账号表示所有账号）。其他电脑不受影响；"
                     "管理员在看板所在的电脑上登录不受限制。",
                     "Too many wrong passwords from these addresses (blank account: every account). "
                     "Other computers are not affected; an administrator on this machine never is."))
        st.dataframe(tables.styled(locked.rename(columns={
            "address": t("地址", "Address"), "username": t("账号", "Account"), "locked_until": t("暂停至", "Until")})),
            hide_index=True, width="stretch")
        if st.button(t("全部解除", "Unlock all"), key="unlock_addresses"):
            attempt(lockout.unlock_addresses, success=t("已解除所有地址的登录暂停。", "All addresses unlocked."))

# Money targets are entered in 万元, as the office writes them; stored in 元 like every figure.
UNITS = {"stock": None, "profit": ("万元", "10k yuan", 10_000), "profit_per_mu": ("元/亩", "yuan/mu", 1),
         "jobs": ("人", "people", 1)}

with tab_targets:
    years = q("available_years")
    options = sorted({*years, (years[-1] + 1) if years else 2024}, reverse=True)
    year = st.selectbox(t("年份", "Year"), options, index=options.index(years[-1]) if years else 0,
                        key="target_year", placeholder=t("选择年份", "Choose a year"))
    current = {(r.sector, r.metric): r.value for r in q("targets", year).itertuples()}
    actual = q("park_kpis", Period.year(year)) if year in years else {}
    st.caption(t("总览页的进度条按这些目标计算。留空或填 0 表示不设该项目标。",
                 "The overview's progress bars use these targets. Empty or 0 means no target."))
    with st.form(f"admin_targets_{year}"):
        values = {}
        cols = st.columns(2)
        for i, ((sector, metric), (zh, en)) in enumerate(TARGET_METRICS.items()):
            u_zh, u_en, factor = UNITS.get(metric) or (*fmt.STOCK_UNIT[sector], 1)
            now = actual.get(sector, {}).get(metric)
            old = current.get((sector, metric))
            values[(sector, metric)] = (cols[i % 2].number_input(
                t(f"{zh}（{u_zh}）", f"{en} ({u_en.strip()})"), min_value=0.0, step=1.0, format="%.0f",
                value=None if old is None else old / factor, key=f"target_{sector}_{metric}_{year}",
                help=t(f"{year}年实际：{fmt.thousands(now / factor if now is not None else None)}",
                       f"Actual {year}: {fmt.thousands(now / factor if now is not None else None)}")),
                factor)
        if st.form_submit_button(t("保存目标", "Save targets"), type="primary"):
            attempt(registry.set_targets, year,
                    {k: v * f if v else None for k, (v, f) in values.items()},
                    success=t(f"已保存 {year} 年目标。", f"Targets for {year} saved."))

with tab_units:
    st.caption(t("上传时登记的鸭棚、养殖户、地块。可更正村、小区和占地（亩）；占地用于亩均对比。",
                 "Sheds, farms and plots registered by uploads. Correct village, zone and land (mu); "
                 "land is used for per-mu comparisons."))
    coop = st.selectbox(t("合作社", "Cooperative"), coops, key="units_coop",
                        placeholder=t("选择合作社", "Choose a cooperative"))
    if coop:
        units = registry.list_units(store().cursor(), coop)
        shown = units.assign(sector=[fmt.sector_name(s, L) for s in units["sector"]])
        edited = st.data_editor(
            shown, hide_index=True, width="stretch", num_rows="fixed",
            disabled=["sector", "cooperative", "unit", "gh_type"],
            key=f"admin_units_{coop}_{st.session_state.get('_admin_units_v', 0)}",
            column_config={
                "sector": t("板块", "Sector"), "cooperative": None,
                "unit": t("单元", "Unit"),
                "gh_type": t("棚型", "Type") if units["gh_type"].notna().any() else None,
                "village": st.column_config.TextColumn(t("村", "Village")),
                "zone": st.column_config.TextColumn(t("小区", "Zone")),
                "land_mu": st.column_config.NumberColumn(t("占地（亩）", "Land (mu)"), min_value=0.0,
                                                         format="%.2f")})
        edits = registry.unit_edits(units, edited)
        st.caption(t(f"共 {len(units)} 个单元，已修改 {len(edits)} 个。",
                     f"{len(units)} units, {len(edits)} changed."))
        if st.button(t("保存更正", "Save corrections"), type="primary", disabled=not edits, key="save_units"):
            attempt(registry.update_units, edits,
                    success=t(f"已更正 {len(edits)} 个单元。", f"{len(edits)} units corrected."))
    elif not coops:
        st.info(t("还没有合作社。上传月报后，这里会列出登记的单元。", "No cooperatives yet."))

with tab_backup:
    folder = files.backup_dir(store().path)
    keep = settings.backup_keep_days()
    st.caption(t(f"备份目录：{md(folder)}。"
                 + (f"看板每天自动备份一次，保留 {keep:d} 天（PARK_BACKUP_KEEP_DAYS）。" if keep else
                    "自动备份已关闭（PARK_BACKUP_KEEP_DAYS=0）。"),
                 f"Backup folder: {md(folder)}. "
                 + (f"The dashboard backs up daily and keeps {keep:d} days." if keep else "Daily backup is off.")))
    if st.button(t("立即备份", "Back up now"), type="primary", icon=":material/backup:", key="backup_now"):
        try:
            with st.spinner(t("正在备份……", "Backing up…")):
                made = backup.make_backup(store(), actor=me)
        except (backup.BackupError, permissions.PermissionDenied) as e:
            st.error(md(e))
        else:
            st.session_state["_admin_done"] = t(f"已备份到 {made.path}。", f"Backed up to {made.path}.")
            st.rerun()
    sizes = files.store_sizes(store().path)
    copies = settings.backup_keep_copies()
    st.caption(t(f"占用磁盘：数据库 {sizes['store'] / 1e6:,.1f} MB，原始上传文件（uploads/，即记录本身，不删除）"
                 f"{sizes['uploads'] / 1e6:,.1f} MB，备份 {sizes['backups'] / 1e6:,.1f} MB"
                 f"（最多保留 {copies:d} 份，PARK_BACKUP_KEEP_COPIES；各份相同的上传文件只存一份）。",
                 f"On disk: database {sizes['store'] / 1e6:,.1f} MB, raw upload files (uploads/, the record, "
                 f"never deleted) {sizes['uploads'] / 1e6:,.1f} MB, backups {sizes['backups'] / 1e6:,.1f} MB "
                 f"(at most {copies:d} kept; upload files shared between backups are stored once)."))
    backups = files.list_backups(folder)
    if backups:
        st.dataframe(pd.DataFrame([{
            t("时间", "Made at"): b.created, t("文件夹", "Folder"): b.path.name,
            t("大小（MB）", "Size (MB)"): round(b.size / 1e6, 1),
            t("表", "Tables"): len((b.manifest or {}).get("tables", {})),
            t("年份", "Years"): t("、", ", ").join((b.manifest or {}).get("kpis", {})) or "—",
            t("清单", "Manifest"): t("有", "yes") if b.manifest else t("无", "no")} for b in backups]),
            hide_index=True, width="stretch")
        st.markdown(t("**恢复**：先停止看板，再在命令行运行（原数据库文件会改名保留）：",
                      "**Restore**: stop the dashboard, then run (the current file is kept, renamed):"))
        st.code(files.restore_command(backups[0].path, store().path), language="bash")
    else:
        st.info(t("还没有备份。", "No backups yet."))

# The audit log keeps what was recorded, in Chinese; in English its known words are translated
# (roles, metrics, unit fields, the fixed phrases of analytics.access and analytics.store.backup).
AUDIT_WORDS_EN = sorted({
    **{zh: en for zh, en in permissions.ROLE_NAMES.values()},
    **{zh: en for zh, en in TARGET_METRICS.values()},
    **{registry.UNIT_FIELD_NAMES[k]: en for k, en in (("village", "village"), ("zone", "zone"),
                                                   ("land_mu", "land (mu)"))},
    "首次启动创建的管理员": "the first administrator, created at first start", "（所有账号）": "(every account)",
    "本机": "this machine", "原文件另存为 ": "old files kept as ", " 项": " item(s)", "，至 ": ", until ",
    "，": ", ", "；": "; ", "、": ", "}.items(), key=lambda kv: -len(kv[0]))


def audit_detail(text: object) -> str:
    if not isinstance(text, str) or not text:
        return "—"
    if L == "zh":
        return text
    for zh, en in AUDIT_WORDS_EN:
        text = text.replace(zh, en)
    return text


with tab_audit:
    log = audit.audit_log(store().cursor())
    if log.empty:
        st.info(t("还没有操作记录。", "Nothing recorded yet."))
    else:
        st.caption(t("管理员的操作（用户、目标、单元登记、撤销上传、备份、恢复）及登录暂停，最新的在前，最多 200 条。",
                     "Administrator actions and login lockouts, newest first (at most 200)."))
        names = {k: t(*v) for k, v in audit.AUDIT_ACTIONS.items()}
        log = log.assign(action=log["action"].map(names).fillna(log["action"]), detail=log["detail"].map(audit_detail),
                         done_at=log["done_at"].dt.strftime("%Y-%m-%d %H:%M"), target=log["target"].fillna("—"))
        st.dataframe(tables.styled(log.rename(columns={
            "done_at": t("时间", "When"), "actor": t("操作人", "Who"), "action": t("操作", "Action"),
            "target": t("对象", "Target"), "detail": t("内容", "Detail")})), hide_index=True, width="stretch")
