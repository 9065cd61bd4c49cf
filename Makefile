# Two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= betterdata.settings

.PHONY: run test venv lock db seed lint format bench clean backup restore

UV := $(VENV)/bin/uv
# uv installs into $(VENV) with the venv's own Python (it never downloads one).
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
# uv is itself a dev dependency: the bootstrap installs the version uv.lock pins.
UV_VERSION = $(shell $(PYTHON) -c "import tomllib; print(next(p['version'] for p in \
	tomllib.load(open('uv.lock', 'rb'))['package'] if p['name'] == 'uv'))")
# requirements.txt is uv.lock's runtime half, exported for the production image (plain pip).
RUNTIME_REQUIREMENTS = { echo "\# Runtime only, exported from uv.lock by \`make lock\`: do not edit (README, Dependencies)."; \
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --no-header --quiet; }

$(UV):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The stamp makes a second `make run` skip installing entirely unless uv.lock or pyproject.toml
# changed. `uv sync --locked` installs runtime + dev exactly as locked, and refuses a uv.lock
# that no longer matches pyproject.toml (then run `make lock`).
$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --quiet
	touch $@

venv: $(VENV)/.installed

# The local demo: DEBUG stays off, DEMO=1 allows plain HTTP on localhost, a dev SECRET_KEY kept in
# .data/secret_key, mail to .data/mail/ (docs/security-settings.md). Never in production.
run db seed backup restore: export DEMO ?= 1

db: venv
	$(PY) manage.py migrate --noinput

# `make seed` adds missing demo rows and never changes an existing one; `make seed RESET=1` empties
# the whole database first (asks to confirm; seed_demo --reset --yes skips the question).
seed: db
	$(PY) manage.py seed_demo $(if $(RESET),--reset)

# One Python process owns the embedded PostgreSQL for the whole session, so Ctrl-C stops both.
# Emailed links (invitations, shipments) point where this server answers unless SITE_URL is set.
run: venv
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py serve_demo --host $(HOST) --port $(PORT)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

# After changing dependencies in pyproject.toml; `make lock LOCK_ARGS="--upgrade-package NAME"`
# (or `--upgrade`) moves pins forward.
lock: | $(UV)
	$(UV) lock $(LOCK_ARGS)
	$(RUNTIME_REQUIREMENTS) > requirements.txt

# mypy's django-stubs plugin loads the settings: a DATABASE_URL keeps it from starting the
# embedded PostgreSQL (it never connects).
lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	DATABASE_URL=$${DATABASE_URL:-postgres://lint@127.0.0.1/lint} $(PY) -m mypy
	@$(RUNTIME_REQUIREMENTS) | cmp -s - requirements.txt \
		|| { echo "requirements.txt does not match uv.lock: run make lock" >&2; exit 1; }

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# `make bench` (the foundation bench) or `make bench BENCH=inventory` for bench/inventory.py.
BENCH ?= foundation
bench: venv
	$(PY) bench/$(BENCH).py

# Backups (docs/operations.md): `make backup` writes .data/backups/<stamp>.dump (pg_dump of the
# embedded or DATABASE_URL's database) and <stamp>.media.tar.gz; `make restore FILE=<stamp>.dump`
# puts both back after asking (YES=1 does not ask).
backup: venv
	$(PY) manage.py backup

restore: venv
	@test -n "$(FILE)" || { echo "usage: make restore FILE=.data/backups/<stamp>.dump [YES=1]" >&2; exit 2; }
	$(PY) manage.py restore "$(FILE)" $(if $(filter 1 yes,$(YES)),--yes)

# .data/ holds the embedded database, uploads, backups and mail: asks first (YES=1 does not).
clean:
	@if [ -d .data ] && [ "$(YES)" != 1 ]; then \
		printf 'Delete .data/ (the embedded database, uploaded files, backups, mail)? [y/N] '; \
		read answer || answer=; \
		case "$$answer" in y|Y|yes) ;; *) echo "kept .data/ (YES=1 skips the question)"; exit 1;; esac; \
	fi
	rm -rf $(VENV) .data
