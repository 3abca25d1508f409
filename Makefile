# The workspace's commands. `make demo` and `make test` do all the set-up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STUDY  ?= data/demo/study.yaml
# every extra of pyproject.toml: the package is installed with all of them, at the lock's versions
EXTRAS := reports,notebooks,test,dev
# One BLAS thread per process: the machine has 2 cores and the workspace parallelises by process.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: demo test test-slow lint lab setup browser lock clean-outputs help

help:
	@echo "make demo       set up .venv and run the demo study end to end"
	@echo "make test       set up .venv and run the whole test suite"
	@echo "make test-slow  also run the long simulations and full regenerations"
	@echo "make lab        open JupyterLab on the workspace"
	@echo "make lint       ruff check (make test runs it too)"
	@echo "make lock       re-resolve pyproject.toml's dependencies into requirements/lock.txt"

setup: $(STAMP)

# The virtual environment is rebuilt when the pinned lock or the package metadata change.
$(STAMP): requirements/lock.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "could not create $(VENV): on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/lock.txt -e '.[$(EXTRAS)]'
	$(BIN)/python -m ipykernel install --sys-prefix --name survey --display-name "Python (survey)" >/dev/null
	@touch $(STAMP)

demo: $(STAMP) browser
	$(BIN)/survey demo $(STUDY)

# Both cores (pytest-xdist): a file's tests, and the files reading one shared report build, stay on one worker.
PYTEST_WORKERS ?= 2
test: $(STAMP) browser lint
	$(BIN)/python -m pytest --color=no -q -n $(PYTEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check --no-cache .

# The browser check needs Debian's Chromium; installed once, with sudo when not root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser check"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } || \
	  { echo "could not install chromium: run 'sudo apt-get install chromium'"; exit 1; }; }

test-slow: $(STAMP)
	$(BIN)/python -m pytest --color=no -q -n $(PYTEST_WORKERS) --dist loadfile -m slow --runslow

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=.

# The lock is the newest versions that satisfy pyproject.toml's dependencies and extras.
lock:
	rm -rf /tmp/survey-lock-venv && $(PYTHON) -m venv /tmp/survey-lock-venv
	/tmp/survey-lock-venv/bin/pip install --quiet '.[$(EXTRAS)]'
	/tmp/survey-lock-venv/bin/pip freeze --exclude-editable | grep -v '^survey-workspace' > requirements/lock.txt
	@echo "requirements/lock.txt updated; run make test"

clean-outputs:
	rm -rf data/*/processed reports/*/
