# config.mk -- compiler, flags and libraries; included by Makefile.
VERSION = 0.1.0

PREFIX    = /usr/local
MANPREFIX = $(PREFIX)/share/man

CC      = cc
PKGS    = libcurl jansson libxml-2.0 sqlite3 liblzma zlib libzip libjpeg libpng libarchive libdeflate
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DVERSION=\"$(VERSION)\" -Ilib
CFLAGS  = -std=c11 -O2 -g -Wall -Wextra -Wpedantic -Werror -Wshadow -Wno-unused-parameter \
          $(shell pkg-config --cflags $(PKGS))
LDFLAGS = -Wl,--as-needed
LDLIBS  = $(shell pkg-config --libs $(PKGS)) -lm

# make asan: the same suite against tools built with sanitizers.
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# geo-tz's zone polygons for mem-scan (make deps installs them with npm ci);
# MEM_TZ_DATA in the environment overrides the path at run time.
TZDATA   = $(CURDIR)/deps/tz/node_modules/geo-tz/data
CPPFLAGS += -DMEM_TZ_DATA='"$(TZDATA)"'
