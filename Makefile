# Every target bootstraps .venv/ from pyproject.toml first; only python3 and make are needed.
# `make serve` installs only what serving needs; `make test` adds the [dev] extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVE_STAMP := $(VENV)/.serve-stamp
DEV_STAMP := $(VENV)/.dev-stamp
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

.PHONY: serve test lint format bench clean image image-test wheelhouse rebuild-venv

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

serve: $(SERVE_STAMP)
	$(BIN)/mockserver serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT)) $(if $(DEV_TOKEN),--token $(DEV_TOKEN))

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict mockserver
	$(BIN)/python -m pytest -n 2

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict mockserver

format: $(DEV_STAMP)
	$(BIN)/ruff format .

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
	rm -rf $(VENV) build dist *.egg-info
