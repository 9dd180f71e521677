# Dossier developer tasks. `make` (or `make help`) lists them.
#
# Go tools are pinned in go.mod's `tool` directives (go tool templ ...), front-end tools in
# package.json + package-lock.json. Generated files (views/**/*_templ.go, static/css/app.css,
# static/vendor/*) are committed; `make check-generated` proves they match their sources.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

GO ?= go
NPM ?= npm
# -race needs cgo and a C compiler; without one the suite still runs, without
# the race detector (and says so).
HAVE_CC := $(shell command -v $${CC:-gcc} >/dev/null 2>&1 && echo yes)
ifeq ($(HAVE_CC),yes)
export CGO_ENABLED := 1
RACE := -race
else
RACE :=
endif
# caniuse-lite is pinned by the lockfile; its "outdated" nag is noise, not a problem.
export BROWSERSLIST_IGNORE_OLD_DATA := 1

.PHONY: help
help: ## Show this help
	@echo "Dossier make targets:"
	@awk 'BEGIN {FS = ":.*?## "} \
		/^##@ / {printf "\n%s\n", substr($$0, 5); next} \
		/^[a-zA-Z0-9_.-]+:.*?## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Run

.PHONY: run
run: ## Run web + worker in one process (go run .)
	$(GO) run .

.PHONY: build
build: ## Build the ./dossier binary
	$(GO) build -o dossier .

##@ Generated files

.PHONY: generate
generate: ## Generate templ code, then rebuild the CSS
	$(GO) tool templ generate
	@$(MAKE) css

.PHONY: templ
templ: ## Generate templ code only (go tool templ generate)
	$(GO) tool templ generate

# Install the pinned front-end tools when node_modules is missing or older than the lockfile
# (npm ci rewrites node_modules/.package-lock.json, so it is the freshness marker).
.PHONY: node-deps
node-deps:
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		echo "npm ci (node_modules missing or stale)"; \
		$(NPM) ci --no-audit --no-fund; \
	fi

.PHONY: css
css: node-deps ## Build static/css/app.css with Tailwind (npm ci first if needed)
	$(NPM) run --silent css

.PHONY: vendor
vendor: node-deps ## Copy pinned htmx + htmx-ext-sse from node_modules into static/vendor
	$(NPM) run --silent vendor

.PHONY: check-generated
check-generated: ## Regenerate everything and fail if views/ or static/ drift from git
	@$(MAKE) generate vendor
	@if ! git diff --exit-code --stat -- views static; then \
		echo ""; \
		echo "ERROR: generated files are out of date (diff above)."; \
		echo "       Inspect with 'git diff -- views static'; run 'make generate vendor' and commit the result."; \
		exit 1; \
	fi
	@untracked="$$(git status --porcelain --untracked-files=all -- views static | grep '^??' || true)"; \
	if [ -n "$$untracked" ]; then \
		echo "$$untracked"; \
		echo ""; \
		echo "ERROR: generated files are not committed (untracked files above)."; \
		echo "       Run 'make generate vendor', then 'git add views static' and commit."; \
		exit 1; \
	fi
	@echo "Generated files are up to date."

##@ Quality

.PHONY: test
test: ## Run all tests, with -race when a C compiler is present (announces what it skips)
	@skips=0; \
	if [ -z "$${TEST_DATABASE_URL:-}" ]; then \
		echo "###############################################################"; \
		echo "### SKIPPING PostgreSQL suites: TEST_DATABASE_URL not set"; \
		skips=1; \
	fi; \
	chromium=""; \
	if [ -n "$${CHROMIUM_PATH:-}" ] && [ -x "$${CHROMIUM_PATH}" ]; then chromium="$${CHROMIUM_PATH}"; \
	elif [ -x /usr/bin/chromium ]; then chromium=/usr/bin/chromium; \
	else \
		for b in chromium chromium-browser google-chrome; do \
			if command -v "$$b" >/dev/null 2>&1; then chromium="$$(command -v "$$b")"; break; fi; \
		done; \
	fi; \
	if [ -z "$$chromium" ]; then \
		echo "###############################################################"; \
		echo "### SKIPPING browser (e2e) suites: Chromium not found"; \
		skips=1; \
	fi; \
	if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then \
		echo "###############################################################"; \
		echo "### SKIPPING the LibreOffice .docx check: soffice or pdftotext not found"; \
		echo "###   (apt-get install libreoffice-writer poppler-utils)"; \
		skips=1; \
	fi; \
	if [ -z "$(RACE)" ]; then \
		echo "###############################################################"; \
		echo "### NO RACE DETECTOR: no C compiler (install gcc for -race)"; \
		skips=1; \
	fi; \
	if [ "$$skips" = 1 ]; then echo "###############################################################"; fi
	$(GO) test $(RACE) -count=1 -timeout 30m ./...

.PHONY: test-short
test-short: ## Quick tests: -short, no race detector
	$(GO) test -short -count=1 ./...

.PHONY: bench
bench: ## Run the benchmark harness (bench/ is its own Go module)
	cd bench && $(GO) run .

.PHONY: lint
lint: ## gofmt check, go vet, and govulncheck when it is installed
	@# Generated templ output is excluded: templ formats it, and it is checked by check-generated.
	@unformatted="$$(find . -name '*.go' -not -name '*_templ.go' -not -path './node_modules/*' \
		-not -path './.git/*' -not -path './data/*' -print0 | xargs -0 -r gofmt -l)"; \
	if [ -n "$$unformatted" ]; then \
		echo "ERROR: these files need gofmt (run 'gofmt -w' on them):"; \
		echo "$$unformatted"; \
		exit 1; \
	fi
	$(GO) vet ./...
	@if [ -f bench/go.mod ]; then echo "cd bench && $(GO) vet ./..."; cd bench && $(GO) vet ./...; fi
	@if command -v govulncheck >/dev/null 2>&1; then \
		echo "govulncheck ./..."; govulncheck ./...; \
	else \
		echo "SKIPPING govulncheck: not on PATH (go install golang.org/x/vuln/cmd/govulncheck@latest)"; \
	fi
