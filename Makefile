# The two commands a newcomer needs:  make run   and   make test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install run test lint messages clean-var

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

install: $(BIN)/.installed

# Embedded mode: SQLite file and filesystem Celery broker under var/, demo city loaded,
# web server + Celery worker + Celery beat in one terminal. Ctrl-C stops all three.
run: export DEBUG ?= 1
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_city
	@echo "Open http://127.0.0.1:$(PORT)/ (Ctrl-C stops web, worker and beat)"
	PATH="$(abspath $(BIN)):$$PATH" PORT=$(PORT) $(BIN)/honcho --procfile Procfile.dev start

# The whole suite: against PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL
# are set, against SQLite and the embedded broker otherwise.
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

# Refresh the translation catalogue after changing user-facing strings (needs GNU gettext).
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'bench/*' --no-obsolete
	DEBUG=1 $(BIN)/python manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

clean-var:
	rm -rf var
