# Every target bootstraps .venv/ from pyproject.toml first; only python3 and make are needed.
# `make serve` installs only what serving needs; `make test` adds the [dev] extra; `make docs`
# the [docs] extra (with it installed, `make test` also builds the site in strict mode).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVE_STAMP := $(VENV)/.serve-stamp
DEV_STAMP := $(VENV)/.dev-stamp
DOCS_STAMP := $(VENV)/.docs-stamp
# Empty unless given (make serve PORT=3001): mockserver's own defaults and MOCKSERVER_HOST,
# MOCKSERVER_PORT and MOCKSERVER_TOKENS then apply, so the environment is never overridden.
HOST ?=
PORT ?=
DEV_TOKEN ?=
IMAGE ?= learninglogin-mockserver:latest
CONTAINER ?= $(shell command -v podman || command -v docker)
# make image INDEX_URL=https://mirror/simple CA_BUNDLE=corp-ca.pem WHEELHOUSE=dist/wheelhouse
# (each optional; CA_BUNDLE and WHEELHOUSE are paths inside this directory): see Containerfile
INDEX_URL ?=
CA_BUNDLE ?=
WHEELHOUSE ?=
IMAGE_ARGS = $(if $(INDEX_URL),--build-arg PIP_INDEX_URL=$(INDEX_URL)) \
	$(if $(CA_BUNDLE),--build-arg CA_BUNDLE=$(CA_BUNDLE)) $(if $(WHEELHOUSE),--build-arg WHEELHOUSE=$(WHEELHOUSE))

# A .venv made by another interpreter than $(PYTHON) (or by one since removed) is rebuilt.
WANT_PY := $(shell $(PYTHON) -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null)
HAVE_PY := $(shell $(BIN)/python -c 'import os, sys; print(os.path.realpath(sys._base_executable))' 2>/dev/null)
ifeq ($(WANT_PY),)
REBUILD := rebuild-venv
else ifneq ($(WANT_PY),$(HAVE_PY))
REBUILD := rebuild-venv
endif

.PHONY: serve test coverage lint format docs bench clean image image-test wheelhouse rebuild-venv

$(VENV)/pyvenv.cfg: $(REBUILD)
	@test -n "$(WANT_PY)" || { echo "mockserver: error: PYTHON=$(PYTHON) is not a Python interpreter" >&2; exit 2; }
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(SERVE_STAMP): pyproject.toml $(VENV)/pyvenv.cfg
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml $(VENV)/pyvenv.cfg
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(SERVE_STAMP)

$(DOCS_STAMP): pyproject.toml $(VENV)/pyvenv.cfg
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

serve: $(SERVE_STAMP)
	$(BIN)/mockserver serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT)) $(if $(DEV_TOKEN),--token $(DEV_TOKEN))

# `make test` is CI's run: lint, types, then every test on both cores with branch coverage, failing
# under [tool.coverage.report] fail_under. `make test ARGS='tests/engine -x'` runs only that slice
# (no lint, no coverage); `ARGS='-m "not process"'` is the quick inner loop (docs/development.md).
ARGS ?=
test: $(DEV_STAMP)
ifeq ($(strip $(ARGS)),)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict mockserver contract_tests benchmarks
	$(BIN)/python -m pytest -n 2 --cov --cov-report=term:skip-covered
else
	$(BIN)/python -m pytest $(ARGS)
endif

# The coverage report of the full run: a summary on the terminal, the HTML under htmlcov/.
coverage: $(DEV_STAMP)
	$(BIN)/python -m pytest -n 2 --cov --cov-report=term:skip-covered --cov-report=html

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict mockserver contract_tests benchmarks

format: $(DEV_STAMP)
	$(BIN)/ruff format .

# The documentation site, from mkdocs.yml and docs/, into site/ (git-ignored).
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks

# The container image (Containerfile); not part of `make test`. podman builds in Docker's
# format, which keeps the HEALTHCHECK (its default OCI format drops it).
image:
	@test -n "$(CONTAINER)" || { echo "mockserver: error: neither podman nor docker is installed" >&2; exit 2; }
	$(CONTAINER) build $(if $(findstring podman,$(CONTAINER)),--format docker) $(IMAGE_ARGS) -t $(IMAGE) -f Containerfile .

# Wheels of the package and every dependency, for `make image WHEELHOUSE=dist/wheelhouse` offline.
# Build it with a Python of the image's version (Debian bookworm: 3.11) on its architecture.
wheelhouse: $(SERVE_STAMP)
	$(BIN)/python -m pip wheel --quiet -w dist/wheelhouse '.[contract]'

image-test: image
	CONTAINER=$(CONTAINER) IMAGE=$(IMAGE) sh tools/image_test.sh

clean:
	rm -rf $(VENV) build dist site htmlcov .coverage *.egg-info
