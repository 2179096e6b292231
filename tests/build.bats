#!/usr/bin/env bats
# build.bats -- the build's own promises: install layout, lint, dependency script.
bats_require_minimum_version 1.5.0
load helpers/common

@test "make install puts every tool and man page under DESTDIR and PREFIX" {
	run make -C "$REPO" -s install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/mem
	[ "$status" -eq 0 ]
	for t in $(mem_tools); do
		[ -x "$BATS_TEST_TMPDIR/root/opt/mem/bin/$t" ]
		[ -f "$BATS_TEST_TMPDIR/root/opt/mem/share/man/man1/$t.1" ]
	done
	run make -C "$REPO" -s uninstall DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/mem
	[ "$status" -eq 0 ]
	run find "$BATS_TEST_TMPDIR/root" -type f
	[ -z "$output" ]
}

@test "every tool has a man page that mandoc accepts" {
	for t in $(mem_tools); do
		echo "# $t"
		[ -f "$REPO/tools/$t.1" ]
		run mandoc -Tlint -Werror "$REPO/tools/$t.1"
		[ "$status" -eq 0 ]
	done
}

@test "make lint passes: cppcheck, mandoc and no banned calls" {
	run make -C "$REPO" -s lint
	[ "$status" -eq 0 ]
}

@test "install-deps run by a user who is not root prints the apt-get line and exits 2" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	# somewhere the unprivileged user can reach (the test dir is private)
	fakebin=$(mktemp -d /tmp/mem-fakebin.XXXXXX)
	chmod 755 "$fakebin"
	# a dpkg-query that knows no package, so everything is missing
	printf '#!/bin/sh\nexit 1\n' > "$fakebin/dpkg-query"
	chmod +x "$fakebin/dpkg-query"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		env PATH="$fakebin:$PATH" "$REPO/scripts/install-deps"
	rm -rf "$fakebin"
	[ "$status" -eq 2 ]
	[[ $stderr == *"apt-get install -y "*libcurl4-openssl-dev*ffmpeg*bats* ]]
}
