#!/usr/bin/env bash
# Install 园区生产看板 as a service on a Debian office server, behind Caddy. Run as root from the
# project folder (after `make setup`), e.g. in /opt/park-dashboard:
#     bash deploy/install.sh
# It creates the service user `park`, gives it the data folder (store, uploads, backups) with
# modes 0750/0640, installs the settings file, the systemd unit and Caddy's configuration,
# creates the store and the first admin (its password printed once), and starts both. Re-running it is safe: existing settings and data are kept.
# DESTDIR (tests): install under that folder, no user creation unless missing, no systemctl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${DESTDIR:-}
user=${PARK_USER:-park}
data=${PARK_DATA:-/srv/park}

if ! id -u "$user" >/dev/null 2>&1; then
  useradd --system --home-dir "$data" --no-create-home --shell /usr/sbin/nologin "$user"
fi
group=$(id -gn "$user")

# The store, its uploads and its backups belong to the service user alone (and its group: an
# operator in group park can read backups); nobody else reads the password hashes or uploads.
install -d -m 0750 -o "$user" -g "$group" "$dest$data" "$dest$data/uploads" "$dest$data/backups"
for f in "$dest$data"/*.duckdb "$dest$data"/*.duckdb.wal; do
  [ -e "$f" ] && chown "$user:$group" "$f" && chmod 0640 "$f"
done

# Settings: root writes them, the service reads them (its group), others not (the file may
# hold PARK_ADMIN_PASSWORD).
install -d -m 0755 "$dest/etc"
if [ ! -e "$dest/etc/park-dashboard.env" ]; then
  install -m 0640 -o root -g "$group" "$here/park-dashboard.env" "$dest/etc/park-dashboard.env"
fi
install -d -m 0755 "$dest/etc/systemd/system" "$dest/etc/systemd/system/caddy.service.d" "$dest/etc/caddy"
install -m 0644 "$here/park-dashboard.service" "$dest/etc/systemd/system/park-dashboard.service"
install -m 0644 "$here/caddy-park.conf" "$dest/etc/systemd/system/caddy.service.d/park.conf"
if [ -e "$dest/etc/caddy/Caddyfile" ] && ! cmp -s "$here/Caddyfile" "$dest/etc/caddy/Caddyfile"; then
  cp -p "$dest/etc/caddy/Caddyfile" "$dest/etc/caddy/Caddyfile.before-park"
fi
install -m 0644 "$here/Caddyfile" "$dest/etc/caddy/Caddyfile"

if [ -z "$dest" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  # The store and the first admin are made before the service starts: once it runs it holds
  # the store, and the password is shown here, on the installer's console, once. A re-run
  # stops the service for that moment (first-start then only says the admin exists).
  systemctl stop park-dashboard.service 2>/dev/null || true
  (cd "$here/.." && set -a && . /etc/park-dashboard.env && set +a
   HOME="$data" runuser -u "$user" -- "$here/../.venv/bin/python" -m analytics first-start --db "${PARK_DB:-$data/park.duckdb}")
  systemctl enable --now park-dashboard.service
  systemctl restart caddy.service
  echo "已安装并启动：park-dashboard（127.0.0.1:8501）与 Caddy（HTTPS）。查看日志：journalctl -u park-dashboard"
else
  echo "已安装到 ${dest:-/}；先以 $user 用户运行 .venv/bin/python -m analytics first-start --db $data/park.duckdb（管理员密码只显示一次），再启动：systemctl daemon-reload && systemctl enable --now park-dashboard && systemctl restart caddy"
fi
