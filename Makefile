PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean fixtures bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dsar export --sandbox demo@example.be --out packages

test: $(STAMP)
	$(BIN)/ruff check aggregator connectors tests fixtures
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check aggregator connectors tests fixtures

fixtures: $(STAMP)
	$(BIN)/python fixtures/generate.py

clean:
	rm -rf $(VENV) packages
