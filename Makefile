# socle — two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3.11
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: demo test test-fast lint bench browsers ocr antivirus oidc clean

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 est requis ($(PYTHON) introuvable)."; exit 1; }
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON) --reinstall-package socle
	@touch $@

## Install from the lock file, prepare the demo territory and serve on http://127.0.0.1:8000
demo: $(VENV)/.synced
	$(VENV)/bin/socle demo

## Install what the tests need (Chromium for browser tests, tesseract for OCR, clamd, a certified OpenID provider) and run the whole suite
test: $(VENV)/.synced browsers ocr antivirus oidc
	$(VENV)/bin/pytest

## The suite without the browser tests
test-fast: $(VENV)/.synced
	$(VENV)/bin/pytest -m "not e2e"

browsers:
	@sh scripts/ensure-chromium.sh

ocr:
	@sh scripts/ensure-ocr.sh

antivirus:
	@sh scripts/ensure-clamav.sh

oidc:
	@sh scripts/ensure-oidc-provider.sh

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check socle tests bench
	$(VENV)/bin/mypy socle
	$(VENV)/bin/lint-imports
	$(VENV)/bin/socle makemigrations --check --dry-run
	$(VENV)/bin/socle check

## Benchmarks: JSON figures, each compared with a baseline measured in the same run
bench: $(VENV)/.synced
	$(VENV)/bin/python -m bench

clean:
	rm -rf .uv $(VENV) var .pytest_cache .mypy_cache .ruff_cache
