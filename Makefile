# Everything a fresh machine needs is installed from here: venv, packages, Chromium, Dovecot.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: install demo test test-sqlite test-postgres lint docs bench bench-scale screenshots browser mailserver clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip >/dev/null
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian Chromium for the browser tests (never `playwright install`: no downloads here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian chromium + poppler-utils"; \
		apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver poppler-utils >/dev/null; \
	fi
	@command -v pdftoppm >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q poppler-utils >/dev/null)

# Debian's Dovecot IMAP server: the e-mail tests and the demo start a throw-away one on loopback.
mailserver:
	@if ! command -v dovecot >/dev/null && [ ! -x /usr/sbin/dovecot ]; then \
		echo "installing Debian dovecot-imapd"; \
		apt-get update -q >/dev/null && apt-get install -y -q dovecot-imapd >/dev/null; \
	fi

demo: $(STAMP)
	$(VENV)/bin/aduan demo

# Both databases at once (most of a run waits on a database or the browser); each run's output is printed
# whole when it ends, so the two never interleave.
test: $(STAMP) browser mailserver lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: $(STAMP)
	$(PY) -m pytest -q --durations=15 $(PYTEST_ARGS)

test-postgres: $(STAMP)
	ADUAN_TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -q --durations=15 -m "not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# README's configuration reference, generated from core/runtime/settings.py.
docs: $(STAMP)
	$(PY) -m core.runtime.settings_doc README.md

bench: $(STAMP)
	$(PY) -m bench.run_all

# Province scale, outside `make bench` (about an hour): 10 M complaints on PostgreSQL, ingest of 1 M.
bench-scale: $(STAMP) browser
	$(PY) -m bench.scale

screenshots: $(STAMP) browser
	$(PY) -m pytest -q -m browser tests/dashboard --screenshots

clean:
	rm -rf $(VENV) aduan.db aduan.db-wal aduan.db-shm
