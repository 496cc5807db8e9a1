#!/usr/bin/env bash
# Install Debian's chromium and Noto CJK fonts when missing: browser tests and PNG/PPTX
# export need them. Never downloads a browser of its own. Java 17 (openjdk-17-jre-headless)
# runs Spark for `kpis --engine spark` and its test. Caddy (tests only: the reverse proxy of
# deploy/ is tested in front of a live dashboard) is not needed to run the dashboard.
# With --run (make run) it never stops the dashboard from starting: it names what is missing.
set -euo pipefail
for_run=0; [ "${1:-}" = "--run" ] && for_run=1
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
# grep reads all of fc-list (no -q): an early exit would SIGPIPE fc-list and, with pipefail, look like "missing".
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)
# Spark 4 needs Java 17 or newer; any java on PATH that reports 17+ will do.
java_major=$( (java -version 2>&1 || true) | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
[ -n "$java_major" ] && [ "$java_major" -ge 17 ] || need+=(openjdk-17-jre-headless)
[ $for_run -eq 1 ] || command -v caddy >/dev/null || need+=(caddy)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if [ $for_run -eq 1 ]; then
    echo "提示：PNG/PPTX 导出需要系统软件包 ${need[*]}，尚未安装；请以 root 运行：apt-get install -y ${need[*]}" \
         "（看板照常启动，其他功能不受影响）" >&2
    exit 0
  fi
  echo "缺少系统软件包：${need[*]}。请以 root 运行：apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "安装系统软件包：${need[*]}"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }; then
  [ $for_run -eq 1 ] || exit 1
  echo "提示：未能安装 ${need[*]}，PNG/PPTX 导出暂不可用；看板照常启动。" >&2
fi
