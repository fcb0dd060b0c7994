# The two commands a new machine needs are `make run` and `make test`; the rest are shortcuts.

VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: install run test lint format bench demo services proto migrate clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

migrate: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py warehouse_migrate

run: migrate
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	@echo "web      http://127.0.0.1:$${WEB_PORT:-8000}/admin/   (health: /readyz, API docs: /api/docs/)"
	@echo "flower   http://127.0.0.1:$${FLOWER_PORT:-5555}/"
	@echo "grpc     127.0.0.1:$${GRPC_PORT:-50051}"
	@# The embedded Redis is a daemon; stop it when honcho does, Ctrl-C included.
	trap 'kill $$(cat $${HAZELNUT_STATE_DIR:-.hazelnut}/redis.pid 2>/dev/null) 2>/dev/null' EXIT INT TERM; $(VENV)/bin/honcho start -f Procfile

# Tests keep their own embedded state and, on Kafka, their own topics, so a running
# `make run` (or an earlier test run) never shares queues with them.
test: install lint
	bash scripts/system-deps.sh test
	HAZELNUT_STATE_DIR=$(CURDIR)/.hazelnut/test HAZELNUT_TOPIC_PREFIX=test-$$(date +%s)- \
		$(PY) -m pytest --durations=15

lint: install
	bash scripts/lint.sh

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: migrate
	bash scripts/system-deps.sh bench
	$(PY) -m bench

demo: migrate
	$(PY) manage.py simulate

services:
	bash scripts/services.sh start

proto: install
	bash proto/generate.sh

clean:
	rm -rf $(VENV) .hazelnut
