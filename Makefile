PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint clean fixtures bench docs serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

REGISTER := .dsar/register.sqlite3

demo: $(STAMP)
	rm -rf .dsar
	$(BIN)/dsar export --sandbox jan.desmet@example.be --out packages --register $(REGISTER); \
	  rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 3 ] || exit $$rc; \
	  echo; echo "The request is recorded in $(REGISTER). List it with:"; \
	  echo "  $(BIN)/dsar requests list --register $(REGISTER)"

serve: $(STAMP)         # the portal service against the sandbox (token: $$DSAR_SERVICE_TOKEN, or generated and printed)
	$(BIN)/dsar serve --sandbox --register .dsar/serve.sqlite3 --out .dsar/packages

test: $(STAMP)
	$(BIN)/ruff check aggregator connectors tests fixtures benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2

test-fast: $(STAMP)    # the unit tier: no HTTPS sandbox
	$(BIN)/python -m pytest -n 2 -m "not sandbox"

docs: $(STAMP)         # regenerate the README's settings reference from the declarations
	$(BIN)/python -m aggregator.docs

lint: $(STAMP)
	$(BIN)/ruff check aggregator connectors tests fixtures benchmarks

fixtures: $(STAMP)
	for g in fixtures/*/generate.py; do $(BIN)/python $$g || exit 1; done

bench: $(STAMP)        # issue 21's table (minutes: scale 10 and the RSS at scale 100); BENCH_ARGS to narrow it
	$(BIN)/python benchmarks/bench_scale.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) packages .dsar
