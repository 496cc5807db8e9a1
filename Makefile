# 园区生产看板 — the two commands of the README:
#   make run    set up .venv, create the demo database if there is none, export's system packages
#               (as root), the first admin (password shown once), start the dashboard on
#               127.0.0.1 (make run HOST=0.0.0.0: the LAN too, viewing then needs a login)
#   make test   set up .venv with test tools and system packages, then run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# Where the dashboard listens: this machine alone unless told (make run HOST=0.0.0.0 for the LAN).
HOST   ?= $(PARK_HOST)
DB     ?= $(or $(PARK_DB),data/park.duckdb)

.PHONY: run setup setup-dev system-deps demo-db test lint bench clean-db

# After pip's output: system packages for PNG/PPTX export (installed as root, else named
# once), then the first admin's password framed so nobody misses it, then the dashboard.
run: setup demo-db
	@bash scripts/system-deps.sh --run
	@$(PY) -m analytics first-start --db "$(DB)"
	$(PY) -m analytics.serve --db "$(DB)" --port $(PORT)$(if $(HOST), --host "$(HOST)")

setup: $(VENV)/.runtime
$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup-dev: $(VENV)/.dev
$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Chromium (browser tests, PNG export) and CJK fonts come from Debian; needs root.
system-deps:
	bash scripts/system-deps.sh

demo-db: setup
	@if [ -f "$(DB)" ]; then echo "使用已有数据库 $(DB)"; else $(PY) -m analytics demo --db "$(DB)"; fi

test: setup-dev system-deps
	$(PY) -m ruff check .
	$(PY) -m pytest -q -rR -n 2

lint: setup-dev
	$(PY) -m ruff check .

# Benchmarks print ratios measured in the same run (docs/performance.md). The scale ones build
# stores of 1, 10 and 100 towns (100k, 1M, 10M records) once into bench/out/.
bench: setup-dev system-deps
	$(PY) bench/ingest.py
	$(PY) bench/export.py
	$(PY) bench/pages.py
	$(PY) bench/notebook.py
	$(PY) bench/order.py
	$(PY) bench/serve.py
	$(PY) bench/rush.py
	$(PY) bench/lake.py
	$(PY) bench/export.py --db bench/out/park-100.duckdb --year 2023
