# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test venv dev-deps browser lint typecheck bench clean
.PHONY: libreoffice translations cjk-font
.PHONY: nginx

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed translations
dev-deps: $(VENV)/.dev-installed translations

## The Chinese catalogues, compiled from locales/*/LC_MESSAGES/*.po (the .mo files are not kept)
translations: $(VENV)/.installed
	$(PY) manage.py i18n compile

## make run: set up, migrate, seed demo data when the database is empty, serve on :$(PORT)
run: venv
	$(PY) manage.py init-db
	$(PY) manage.py seed --scale demo --if-empty
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address 0.0.0.0 \
		--browser.gatherUsageStats false

## make test: set up, type-check core/ and db/, and run the whole suite (unit, integration, app,
## browser) in parallel, on SQLite and, when PostgreSQL's server binaries are here, on a
## throw-away PostgreSQL too (scripts/with-postgres; a TEST_DATABASE_URL already set is used as
## is). Serially: make test PYTEST_ARGS="-n 0"; one folder: make test PYTEST_ARGS="tests/unit"
TEST_WORKERS ?= 4
PYTEST_ARGS ?=
WITH_POSTGRES := $(if $(TEST_DATABASE_URL),,$(if $(wildcard /usr/lib/postgresql/*/bin/pg_ctl),scripts/with-postgres))
test: dev-deps browser typecheck
	$(WITH_POSTGRES) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=25 $(PYTEST_ARGS)

## Debian's Chromium for the browser tests, when it is missing and we may install it
browser:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "Installing Debian's chromium for the browser tests"; \
	      apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji >/dev/null; \
	    else echo "chromium not found: browser tests will be skipped (install Debian's chromium)"; fi; }

## Debian's Noto CJK font, so the browser tests' Chinese screenshots show glyphs, not boxes
test: cjk-font
cjk-font:
	@fc-list :lang=zh 2>/dev/null | grep -q . || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "Installing Debian's fonts-noto-cjk for the Chinese browser tests"; \
	      apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null; \
	    else echo "no CJK font: Chinese screenshots will show boxes (install Debian's fonts-noto-cjk)"; fi; }

## Debian's LibreOffice (Calc, headless) for the spreadsheet round-trip tests, like chromium
test: libreoffice
libreoffice:
	@command -v soffice >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "Installing Debian's libreoffice-calc-nogui for the spreadsheet tests"; \
	      apt-get update -qq && apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null; \
	    else echo "soffice not found: spreadsheet tests will be skipped (install Debian's libreoffice-calc-nogui)"; fi; }

## Debian's nginx, the reverse proxy of the two-instance browser test (deploy/nginx.conf)
test: nginx
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "Installing Debian's nginx-light for the two-instance browser test"; \
	      apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; \
	    else echo "nginx not found: the two-instance browser test will be skipped (install Debian's nginx-light)"; fi; }

lint: dev-deps
	$(PY) -m ruff check .

## make typecheck: mypy over core/ and db/ (configured in pyproject.toml)
typecheck: dev-deps
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .pytest_cache tests/e2e/artifacts

## make bench: every budget at 1 M deals on SQLite and PostgreSQL, every page cold, and the pages
## at 5 M deals on PostgreSQL (seeded once into a server kept under bench/data/pg)
## -> docs/performance.md. Quicker: make bench SKIP_5M=1; more: BENCH_ARGS="--import-rows 0"
BENCH_ARGS ?=
bench: venv
	PG_PORT=$${PG_PORT:-55440} bench/with-kept-postgres $(PY) -m bench.run \
		$(if $(SKIP_5M),--skip-5m) $(BENCH_ARGS)
