# `make run` and `make test` each set themselves up from a fresh clone: they create .venv when it
# is missing and (re)install the package with its extras whenever pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export OPENBLAS_NUM_THREADS ?= 1

.PHONY: run test setup bench clean

run: $(STAMP)
	$(BIN)/python -m visnet

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,reference]'
	$(BIN)/python -m visnet.core.backends.cpu.warmup
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
