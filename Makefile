# ClinBridge: `make run` (PORT=5000 by default) serves the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000

.PHONY: install translations run test test-postgres security bench bench-load clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d app/translations

install: $(STAMP) translations

# `make run PORT=8080` serves on another port. The job consumer (search index, suggestion refresh, mail, the daily expiry) runs beside the
# development server, on the queue's SQLite file in instance/, and stops with it (Ctrl-C).
run: export CLINBRIDGE_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) matching recompute --if-empty
	$(FLASK) jobs consume & consumer=$$!; \
	trap 'kill $$consumer 2>/dev/null; wait $$consumer 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# SQLite pass (whole suite); then, when TEST_DATABASE_URL names a PostgreSQL database,
# the same suite without the browser tests against it. The job tests run on the queue's
# SQLite storage and, in both passes, also against Redis when TEST_REDIS_URL names a server
# (their [redis] variants; skipped with the reason otherwise, failed in CI).
test: install security
	@if [ -z "$$TEST_REDIS_URL" ]; then echo "TEST_REDIS_URL not set: job tests against Redis skipped (.ci/run starts Redis)."; fi
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	 else echo "TEST_DATABASE_URL not set: PostgreSQL pass skipped (.ci/run sets it up)."; fi

# Static security checks: bandit on our code (explained findings carry `# nosec`, config in pyproject.toml) and
# pip-audit on the installed dependencies. pip-audit needs PyPI's JSON API or OSV: where neither answers (an
# intranet mirror answers "not found" for every package), it is skipped with the reason printed; a vulnerability
# found always fails.
security: install
	$(BIN)/bandit -c pyproject.toml -r app forms matching -q
	@out=$$($(BIN)/pip-audit --skip-editable --strict --progress-spinner off 2>&1); rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "pip-audit: $$(echo "$$out" | head -1)"; \
	elif echo "$$out" | grep -q "known vulnerabilit"; then echo "$$out"; exit $$rc; \
	elif echo "$$out" | grep -qE "not found on PyPI|ConnectionError|Max retries exceeded|timed out|Temporary failure"; then \
	  echo "pip-audit SKIPPED: its vulnerability service cannot be reached from here:"; \
	  echo "$$out" | grep -m1 -E "not found on PyPI|ConnectionError|Max retries exceeded|timed out|Temporary failure"; \
	else echo "$$out"; exit $$rc; fi

test-postgres: install
	$(BIN)/python -m pytest -m "not browser" -p no:cacheprovider

bench: install
	$(BIN)/python bench/matching_quality.py
	$(BIN)/python bench/classify_quality.py
	$(BIN)/python bench/matching_speed.py

# gunicorn -w 4 on loopback with a temporary SQLite instance and the demo data; stops by itself (~1-2 min).
bench-load: install
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache tests/artifacts
