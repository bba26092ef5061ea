# The two commands of the README:
#   make demo   install dependencies if missing, build the release binary, build the demo firmware
#               image, scan it, print the summary and write demo-report/
#   make test   install dependencies if missing, build, run the whole test suite
# Others: make build | test-asan | fuzz | bench | clean
.PHONY: all deps build build-all demo test test-asan fuzz clean docs

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BIN := build/release/apps/iotaudit/iotaudit
DEMO_IMAGE := demo/out/democam-fw-2.4.1.bin

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target iotaudit

build-all: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

$(DEMO_IMAGE): demo/build-image.sh $(shell find demo/rootfs demo/src -type f 2>/dev/null)
	@demo/build-image.sh demo/out >/dev/null

demo: build $(DEMO_IMAGE)
	@rm -rf demo-report && mkdir -p demo-report
	@$(BIN) scan $(DEMO_IMAGE) -f text -f json -o demo-report/report.json
	@$(BIN) extract $(DEMO_IMAGE) -o demo-report/extracted -q
	@echo "demo-report/: report.json (full result), extracted/ (files and extract.json)"

test: build-all
	@ctest --preset release -j $(JOBS)

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

fuzz:
	@scripts/install-deps.sh --fuzz
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)

clean:
	rm -rf build demo/out demo-report
