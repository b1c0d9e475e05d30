# stamp — see README.md. `make` builds build/stamp; `make test` runs every suite twice,
# plainly and under AddressSanitizer + UndefinedBehaviorSanitizer.
VERSION := $(shell cat VERSION)
BUILD ?= build
CC ?= cc
CFLAGS ?= -O2 -g
SANITIZE ?=
PREFIX ?= /usr/local
DESTDIR ?=

# Parallel by default, one job per core, unless -j was given (make -j1 builds serially).
ifeq (,$(filter -j% j%,$(MAKEFLAGS)))
MAKEFLAGS += -j$(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
endif

PKGS := yaml-0.1 libgit2 libxxhash libpcre2-8
STAMP_CFLAGS = -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DSTAMP_VERSION='"$(VERSION)"' -Irenderer $(PKG_CFLAGS) $(SANITIZE) -pthread -MMD -MP
STAMP_LDFLAGS = $(SANITIZE) -pthread
STAMP_LIBS = $(PKG_LIBS) -lm

SRC := $(filter-out renderer/main.c,$(wildcard renderer/*.c))
OBJ := $(SRC:renderer/%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libstamp.a
BIN := $(BUILD)/stamp
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
SPEC_BIN := $(BUILD)/tests/spec_runner
BENCH_BIN := $(BUILD)/bench/bench_engine
BENCH_RENDER_BIN := $(BUILD)/bench/bench_render

.PHONY: all deps test test-build bench fuzz fuzz-build install install-hooks render check diff clean FORCE
all: $(BIN)

# Flags come from pkg-config once the dependencies are there; make builds this file
# (installing what is missing, see scripts/deps.sh) before anything else.
include $(BUILD)/config.mk
$(BUILD)/config.mk: scripts/deps.sh
	@mkdir -p $(BUILD)
	@sh scripts/deps.sh
	@printf 'PKG_CFLAGS := %s\nPKG_LIBS := %s\n' \
		"$$(pkg-config --cflags $(PKGS))" "$$(pkg-config --libs $(PKGS))" > $@

deps:
	@sh scripts/deps.sh --test

# V=1 shows the full commands
Q = $(if $(V),,@)
say = $(if $(V),,@echo "  $(1)	$(2)";)

$(BUILD)/obj/%.o: renderer/%.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(STAMP_CFLAGS) -c $< -o $@

$(LIB): $(OBJ)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

$(BIN): $(BUILD)/obj/main.o $(LIB)
	$(call say,LINK,$@)$(CC) $(STAMP_LDFLAGS) -o $@ $^ $(STAMP_LIBS)

$(BUILD)/tests/%.o: tests/unit/%.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(STAMP_CFLAGS) -Itests/unit -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(LIB)
	$(call say,LINK,$@)$(CC) $(STAMP_LDFLAGS) -o $@ $^ $(STAMP_LIBS)

$(BUILD)/tests/spec_runner.o: tests/spec/spec_runner.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(STAMP_CFLAGS) -Itests/unit -c $< -o $@

$(SPEC_BIN): $(BUILD)/tests/spec_runner.o $(LIB)
	$(call say,LINK,$@)$(CC) $(STAMP_LDFLAGS) -o $@ $^ $(STAMP_LIBS)

$(BUILD)/bench/%.o: bench/%.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS) $(STAMP_CFLAGS) -c $< -o $@

$(BENCH_BIN): $(BUILD)/bench/bench_engine.o $(LIB)
	$(call say,LINK,$@)$(CC) $(STAMP_LDFLAGS) -o $@ $^ $(STAMP_LIBS)

$(BENCH_RENDER_BIN): $(BUILD)/bench/bench_render.o
	$(call say,LINK,$@)$(CC) -pthread -o $@ $^ $(PKG_LIBS)

.SECONDARY:

build/baseline/build/stamp: FORCE
	@rm -rf build/baseline && mkdir -p build/baseline
	@git archive $(BENCH_BASELINE) | tar -x -C build/baseline
	@$(MAKE) --no-print-directory -C build/baseline >/dev/null
FORCE:

test-build: $(BIN) $(UNIT_BIN) $(SPEC_BIN)

# Two passes over the same suites; the last line of output is the total.
test:
	@sh scripts/deps.sh --test
	@$(MAKE) --no-print-directory test-build BUILD=build
	@$(MAKE) --no-print-directory test-build BUILD=build/asan CFLAGS='-O1 -g -fno-omit-frame-pointer' \
		SANITIZE='-fsanitize=address,undefined -fno-sanitize-recover=all'
	@sh tests/run.sh build build/asan

# BENCH_SCALE=full adds one cold run at 100,000 customers (about 6 GB of files; its no-op,
# one-changed and template renders three times each), and the git workflow at 10,000 and
# 100,000 customers, medians of three (about 12 GB, 20 minutes).
# BENCH_BASELINE=REV builds revision REV into build/baseline and measures its renders
# alternating with this build's, in the same run.
BENCH_RUNS ?= 5
# ext4 without a journal creates files several times slower for minutes after a mass
# delete; the 100,000-customer render follows the deletion of the 10,000-customer trees
BENCH_SETTLE_LARGE ?= 300
BENCH_BASELINE ?=
BASELINE_BIN := $(if $(BENCH_BASELINE),build/baseline/build/stamp)
# the baseline renders with its own revision's templates/, which it understands
BASELINE_ARGS := $(if $(BENCH_BASELINE),$(BASELINE_BIN) build/baseline/templates)
bench: $(BENCH_BIN) $(BENCH_RENDER_BIN) $(BIN) $(BASELINE_BIN)
	@$(BENCH_BIN)
	@$(BENCH_RENDER_BIN) $(BIN) templates 1000 $(BENCH_RUNS) $(BASELINE_ARGS)
	@$(BENCH_RENDER_BIN) $(BIN) templates 10000 $(BENCH_RUNS) $(BASELINE_ARGS)
	@if [ "$(BENCH_SCALE)" = full ]; then \
		echo "bench: waiting $(BENCH_SETTLE_LARGE) s for ext4 to settle after the 10,000-customer trees were deleted"; \
		sleep $(BENCH_SETTLE_LARGE); $(BENCH_RENDER_BIN) $(BIN) templates 100000 1; fi
	@sh bench/bench_git.sh $(BIN) $(BENCH_RENDER_BIN) templates 1000 10000 $(BENCH_RUNS)
	@sh bench/bench_hogan.sh $(BIN) $(BENCH_RENDER_BIN) templates 10000 $(BENCH_RUNS)
	@sh bench/bench_channels.sh $(BIN) $(BENCH_RENDER_BIN) templates 10000 10 $(BENCH_RUNS)
	@if [ "$(BENCH_SCALE)" = full ]; then sh bench/bench_git.sh $(BIN) $(BENCH_RENDER_BIN) templates 10000 100000 3; fi

# Coverage-guided fuzzing (clang's libFuzzer): the YAML loader, the schema (a spec
# against the default set), the template compiler and renderer, and the out/ manifest
# parser, each seeded from tests/ (tests/fuzz/run.sh). The library is compiled once with
# the fuzzer's coverage; FUZZ_SECONDS bounds each target's run, FUZZ_TARGET=name runs
# one. make test builds every target and runs each briefly.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := document schema template outmanifest
FUZZ_TARGET ?= $(FUZZ_TARGETS)
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer $(STAMP_CFLAGS)
FUZZ_OBJ := $(SRC:renderer/%.c=build/fuzz/obj/%.o)
FUZZ_BIN := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)

build/fuzz/obj/%.o: renderer/%.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(call say,CC,$@)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build/fuzz/libstamp.a: $(FUZZ_OBJ)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libstamp.a
	$(call say,LINK,$@)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< build/fuzz/libstamp.a \
		-o $@ $(PKG_LIBS) -lm

fuzz-build: $(FUZZ_BIN)

fuzz: $(BUILD)/config.mk
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGET)

-include $(FUZZ_OBJ:.o=.d)

render: $(BIN)
	@$(BIN) render

check: $(BIN)
	@$(BIN) check

# BASE=origin/main compares with another revision
BASE ?= HEAD
diff: $(BIN)
	@$(BIN) diff --base $(BASE)

# The pre-commit hook as a plain git hook (for the pre-commit framework, see
# .pre-commit-hooks.yaml). An existing hook is kept as pre-commit.old.
install-hooks:
	@hooks=$$(git rev-parse --git-path hooks) && mkdir -p "$$hooks" && \
	if [ -f "$$hooks/pre-commit" ] && ! cmp -s scripts/pre-commit "$$hooks/pre-commit"; then \
		mv "$$hooks/pre-commit" "$$hooks/pre-commit.old"; echo "kept the old hook as $$hooks/pre-commit.old"; fi && \
	cp scripts/pre-commit "$$hooks/pre-commit" && chmod +x "$$hooks/pre-commit" && \
	echo "installed $$hooks/pre-commit: stamp check runs before every commit"

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/stamp
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 man/stamp.1 $(DESTDIR)$(PREFIX)/share/man/man1/stamp.1
	$(BIN) completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/stamp
	$(BIN) completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_stamp
	$(BIN) completion fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/stamp.fish

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(BUILD)/obj/main.d $(UNIT_BIN:=.d) $(BUILD)/tests/spec_runner.d $(BUILD)/bench/bench_engine.d
