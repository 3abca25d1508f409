# The workspace's commands. `make demo` and `make test` do all the set-up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STUDY  ?= data/demo/study.yaml

.PHONY: demo test test-slow lab setup lock clean-outputs help

help:
	@echo "make demo       set up .venv and run the demo study end to end"
	@echo "make test       set up .venv and run the whole test suite"
	@echo "make test-slow  also run the long simulations and full regenerations"
	@echo "make lab        open JupyterLab on the workspace"
	@echo "make lock       re-resolve requirements/base.in into requirements/lock.txt"

setup: $(STAMP)

# The virtual environment is rebuilt when the pinned lock or the package metadata change.
$(STAMP): requirements/lock.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "could not create $(VENV): on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name survey --display-name "Python (survey)" >/dev/null
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/survey demo $(STUDY)

test: $(STAMP)
	$(BIN)/python -m pytest --color=no -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest --color=no -q -m slow --runslow

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=.

lock:
	rm -rf /tmp/survey-lock-venv && $(PYTHON) -m venv /tmp/survey-lock-venv
	/tmp/survey-lock-venv/bin/pip install --quiet -r requirements/base.in
	/tmp/survey-lock-venv/bin/pip freeze --exclude-editable | grep -v '^survey-workspace' > requirements/lock.txt
	@echo "requirements/lock.txt updated; run make test"

clean-outputs:
	rm -rf data/*/processed reports/*/
