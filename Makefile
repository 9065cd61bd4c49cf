# Two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= betterdata.settings

.PHONY: run test venv db seed lint format bench clean

# The stamp file makes a second `make run` skip pip entirely unless requirements.txt changed.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(VENV)/.installed

db: venv
	$(PY) manage.py migrate --noinput

seed: db
	$(PY) manage.py seed_demo

# One Python process owns the embedded PostgreSQL for the whole session, so Ctrl-C stops both.
run: venv
	$(PY) manage.py serve_demo --host $(HOST) --port $(PORT)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# `make bench` (the foundation bench) or `make bench BENCH=inventory` for bench/inventory.py.
BENCH ?= foundation
bench: venv
	$(PY) bench/$(BENCH).py

clean:
	rm -rf $(VENV) .data
