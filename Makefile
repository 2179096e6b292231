# Makefile -- builds, tests and installs the mem-* tools; GNU make 4.3 or later.
#
#	make			build every tool into bin/
#	make check		install missing packages, build, run unit tests and bats suites
#	make check-immich	only the suite against a real Immich server (tests/immich/server)
#	make demo		the whole pipeline on a generated sample, into ./out
#			(the exports as delivered: zip and tgz parts; demo-plain unpacked)
#	make -jN IN=DIR OUT=DIR	the pipeline on your own exports (pipeline.mk)

include config.mk

BUILDDIR ?= build
BINDIR   ?= bin
CFLAGS   += $(EXTRA_CFLAGS)
# Short build lines; make V=1 shows the commands.
Q = $(if $(V),,@)

LIBSRC  := $(sort $(wildcard lib/*.c))
LIBOBJ  := $(LIBSRC:%.c=$(BUILDDIR)/%.o)
HDRS    := $(wildcard lib/*.h) $(wildcard tools/*/*.h)
# A tool is tools/NAME.c, or tools/NAME/*.c once it has outgrown one file.
TOOLS   := $(sort $(basename $(notdir $(wildcard tools/mem-*.c))) \
                  $(notdir $(patsubst %/,%,$(wildcard tools/mem-*/))))
BINS    := $(TOOLS:%=$(BINDIR)/%)
MANS    := $(sort $(wildcard tools/mem-*.1))
UNITS   := $(patsubst tests/unit/%.c,$(BUILDDIR)/unit/%,$(wildcard tests/unit/*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILDDIR)/fuzz/%,$(wildcard tests/fuzz/*.c))

tool_objs = $(patsubst %.c,$(BUILDDIR)/%.o,$(wildcard tools/$(1).c tools/$(1)/*.c))

.DEFAULT_GOAL := $(if $(IN)$(ORIGINALS),pipeline,all)

all: $(BINS)

$(BUILDDIR)/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "CC	$<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILDDIR)/libmem.a: $(LIBOBJ)
	@rm -f $@
	@$(if $(Q),echo "AR	$@")
	$(Q)$(AR) rcs $@ $^

# Objects reached through the tool rule are intermediates to make; keep them.
.PRECIOUS: $(BUILDDIR)/%.o

.SECONDEXPANSION:
$(BINDIR)/mem-%: $$(call tool_objs,mem-$$*) $(BUILDDIR)/libmem.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "LD	$@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILDDIR)/unit/%: tests/unit/%.c $(BUILDDIR)/libmem.a $(HDRS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "LD	$@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILDDIR)/libmem.a $(LDLIBS)

# The tools load libarchive and libzip at the first archive member
# (lib/lazy.c), mem-scan SQLite and libxml2 at their first use
# (tools/mem-scan/lazy.c), by the sonames of the libraries built against:
# $(call soname,PKG[,LIBNAME]).
soname = $(shell objdump -p "$$(pkg-config --variable=libdir $(1))/$(or $(2),$(1)).so" | \
	awk '/SONAME/ {print $$2}')
$(BUILDDIR)/lib/lazy.o: CPPFLAGS += -DSONAME_ARCHIVE='"$(call soname,libarchive)"' \
	-DSONAME_ZIP='"$(call soname,libzip)"'
$(BUILDDIR)/tools/mem-scan/lazy.o: CPPFLAGS += -DSONAME_SQLITE='"$(call soname,sqlite3,libsqlite3)"' \
	-DSONAME_XML='"$(call soname,libxml-2.0,libxml2)"'

units: $(UNITS)

deps:
	scripts/install-deps
	$(MAKE) tzdata

# geo-tz 8.1.9, pinned by deps/tz/package-lock.json (its data: ODbL, README).
tzdata: deps/tz/node_modules/geo-tz/package.json
	$(MAKE) $(TZINDEX)
deps/tz/node_modules/geo-tz/package.json: deps/tz/package-lock.json
	cd deps/tz && npm ci --no-audit --no-fund
	@touch $@

# The zone index in the form mem-scan loads at start (tools/mem-scan/tz.c),
# made beside the JSON whenever the data is there; without it, or when it
# no longer matches the JSON, mem-scan parses the JSON: so data that cannot
# be written to (a system directory) costs start-up time, not the build.
TZJSON  = $(TZDATA)/timezones-1970.geojson.index.json
TZINDEX = $(TZDATA)/timezones-1970.geojson.index.mem
all: $(if $(wildcard $(TZJSON)),$(TZINDEX))
$(TZINDEX): $(TZJSON) $(BUILDDIR)/tz-compact
	@$(if $(Q),echo "GEN	$@")
	$(Q)$(BUILDDIR)/tz-compact $(TZDATA) || \
	    echo "make: $@ not made: mem-scan will parse the JSON at each start" >&2
$(BUILDDIR)/tz-compact: $(BUILDDIR)/tools/mem-scan/tz-compact/tz-compact.o \
		$(BUILDDIR)/tools/mem-scan/tz.o $(BUILDDIR)/libmem.a
	@$(if $(Q),echo "LD	$@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: deps
	$(MAKE) all units
	scripts/check

# The real Immich server suite alone (tests/immich/server builds the server
# once into MEM_IMMICH_CACHE; the suite starts and stops its own instance).
check-immich: deps
	$(MAKE) all
	scripts/check tests/immich-real.bats tests/immich-corpus.bats

# The same suite against tools built with AddressSanitizer and UBSan.
# Reports go to files (log_path) that scripts/check counts as failures, so
# one from a process whose status a test does not look at (a pipeline's
# middle, a background job) is not lost; SUITES='tests/x.bats ...' runs
# only those suites (then no unit tests).
ASAN_REPORTS = $(CURDIR)/build/asan/reports
asan: deps
	$(MAKE) BUILDDIR=build/asan BINDIR=build/asan/bin EXTRA_CFLAGS='$(ASAN_FLAGS)' all units
	rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS)
	MEM_BIN=$(CURDIR)/build/asan/bin MEM_UNITS=$(CURDIR)/build/asan/unit \
	MEM_SAN_REPORTS=$(ASAN_REPORTS) \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$(ASAN_REPORTS)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(ASAN_REPORTS)/ubsan \
	scripts/check $(SUITES)

# libFuzzer targets (clang); each runs for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
fuzz: deps
	$(MAKE) CC=clang BUILDDIR=build/fuzz BINDIR=build/fuzz/bin \
		EXTRA_CFLAGS='-fsanitize=fuzzer-no-link,address,undefined' build/fuzz/libmem.a
	scripts/fuzz $(FUZZ_SECONDS)

lint: deps
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem --inline-suppr --include=tests/cppcheck.h \
		-Ilib lib tools
	mandoc -Tlint -Wwarning $(MANS)
	@if grep -nE '\<(sprintf|strcpy|strcat|gets|atoi|system|popen|tmpnam)[[:space:]]*\(' \
		lib/*.c lib/*.h $$(find tools -name '*.c' -o -name '*.h'); then \
		echo 'lint: banned function (see STYLE)'; exit 1; fi

bench: all
	@for b in bench/*; do [ -x "$$b" ] && echo "== $$b" && "$$b"; done; true

demo: deps
	$(MAKE) all
	scripts/mksample --archives sample
	$(MAKE) -j$$(nproc) pipeline ORIGINALS=$(CURDIR)/sample OUT=$(CURDIR)/out SKIP_UPLOAD=1

# The same sample unpacked (plain directories), into ./out-plain.
demo-plain: deps
	$(MAKE) all
	scripts/mksample sample-plain
	$(MAKE) -j$$(nproc) pipeline ORIGINALS=$(CURDIR)/sample-plain OUT=$(CURDIR)/out-plain SKIP_UPLOAD=1

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1
	cp -f $(BINS) $(DESTDIR)$(PREFIX)/bin/
	cp -f $(MANS) $(DESTDIR)$(MANPREFIX)/man1/

uninstall:
	cd $(DESTDIR)$(PREFIX)/bin && rm -f $(TOOLS)
	cd $(DESTDIR)$(MANPREFIX)/man1 && rm -f $(notdir $(MANS))

clean:
	rm -rf $(BUILDDIR) $(BINDIR)

.PHONY: all units deps tzdata check check-immich asan fuzz lint bench demo demo-plain install uninstall clean

include pipeline.mk
