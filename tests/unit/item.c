/* Unit tests of lib/item.c and lib/time.c: records round-trip byte for byte. */
#define _GNU_SOURCE	/* memmem */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "tap.h"

static char *
written(const struct item *it, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);

	item_write(it, fp);
	fclose(fp);
	return buf;
}

static void
test_time(void)
{
	int64_t t;
	int32_t off;
	char buf[64];

	ok(time_parse("2023-01-15T10:30:45+02:00", &t, &off) == 0 && t == 1673771445 &&
	    off == 120, "an offset time gives the UTC instant and the offset");
	ok(time_parse("2023-01-15T08:30:45Z", &t, &off) == 0 && t == 1673771445 && off == 0,
	    "Z means UTC with a known offset of zero");
	ok(time_parse("2023-01-15 08:30:45", &t, &off) == 0 && t == 1673771445 &&
	    off == OFFSET_UNKNOWN, "no zone is read as UTC with the offset unknown");
	ok(time_parse("2023:01:15 08:30:45", &t, &off) == 0 && t == 1673771445,
	    "EXIF's colon dates parse");
	ok(time_parse("2016-05-18T11:00:23.648-04:00", &t, &off) == 0 && off == -240 &&
	    t == 1463583623, "fractions are dropped and negative offsets kept");
	ok(time_parse("2021-01-04 23:08:30 UTC", &t, &off) == 0 && off == 0,
	    "a trailing UTC is a zero offset");
	ok(time_parse("2023-02-29T00:00:00Z", &t, &off) < 0, "a day that does not exist is refused");
	ok(time_parse("2023-01-15T10:30:45+02:00junk", &t, &off) < 0, "trailing junk is refused");
	ok(time_parse("1969-12-31T23:59:59Z", &t, &off) == 0 && t == -1, "instants before 1970 work");
	ok(time_has_clock("2019-06-16T16:45:14") && time_has_clock("2019:06:16 16:45:14+09:00") &&
	    time_has_clock(" 2019-06-16 16:45"), "a date with a time of day, ISO's or EXIF's");
	ok(!time_has_clock("2019-06-16") && !time_has_clock("2019:06:16 ") &&
	    !time_has_clock("2019-06-16Tx"), "a day alone has no clock");
	time_format(1673771445, 120, buf, sizeof(buf));
	ok(strcmp(buf, "2023-01-15T10:30:45+02:00") == 0, "format applies the offset: %s", buf);
	time_format(1673771445, -330, buf, sizeof(buf));
	ok(strcmp(buf, "2023-01-15T03:00:45-05:30") == 0, "negative half-hour offsets: %s", buf);
	time_format(-1, OFFSET_UNKNOWN, buf, sizeof(buf));
	ok(strcmp(buf, "1969-12-31T23:59:59Z") == 0, "unknown offset formats as UTC: %s", buf);
}

static void
test_roundtrip(void)
{
	struct item it, back;
	const char *why;
	char *a, *b;
	size_t alen, blen;

	item_init(&it);
	item_set(&it.id, "0123456789abcdef");
	item_set(&it.source, "/in/odd\nname $x \"q\" \xff\xfe.jpg");
	item_set(&it.export, "google-john-20240101");
	item_set(&it.platform, "google-photos");
	item_set(&it.dest, "google-john-20240101/photos/gphotos-john-20230115_1.jpg");
	it.kind = KIND_IMAGE;
	it.has_time = 1;
	it.time = 1673771445;
	it.offset_min = 60;
	item_set(&it.time_source, "json");
	it.has_gps = 1;
	it.lat = -33.8688197;
	it.lon = 151.2092955;
	it.has_alt = 1;
	it.alt = 12.5;
	item_add_album(&it, "Trip = Sydney");
	item_add_album(&it, "Family");
	item_add_album(&it, "Family");
	item_set(&it.caption, "line one\nline two = ünïcode");
	it.favorite = 1;
	a = written(&it, &alen);
	ok(item_parse(&back, a, alen, &why) == 0, "a written record parses back");
	ok(back.nalbums == 2 && strcmp(back.albums[0], "Trip = Sydney") == 0,
	    "albums keep their order, '=' in values, no duplicates");
	ok(strcmp(back.source, it.source) == 0, "any byte but NUL survives in a path");
	ok(back.offset_min == 60 && back.time == it.time, "time and offset survive");
	ok(back.has_gps && back.lat == -33.8688197 && back.lon == 151.2092955 && back.alt == 12.5,
	    "GPS survives to 7 decimals");
	b = written(&back, &blen);
	ok(alen == blen && memcmp(a, b, alen) == 0, "rewriting a parsed record is byte-identical");
	item_free(&back);
	free(a);
	free(b);
	item_free(&it);
}

static void
test_bad(void)
{
	struct item it;
	const char *why;
	static const char unknown[] = "mem-item=1\0source=/a.jpg\0future_field=x\0kind=video";
	static const char nomagic[] = "source=/a.jpg";
	static const char badtime[] = "mem-item=1\0source=/a.jpg\0time=2023-01-15T10:30:45+02:00";
	static const char halfgps[] = "mem-item=1\0source=/a.jpg\0lat=1.5";
	static const char hugealt[] = "mem-item=1\0source=/a\0lat=1\0lon=2\0alt=1666666666666666666666666";
	static const char nosource[] = "mem-item=1\0kind=image";
	static const char noeq[] = "mem-item=1\0source=/a.jpg\0garbage";
	char *buf;
	size_t len;

	ok(item_parse(&it, unknown, sizeof(unknown) - 1, &why) == 0 && it.nextra == 1 &&
	    strcmp(it.extra[0], "future_field=x") == 0 && it.kind == KIND_VIDEO,
	    "unknown fields are kept, a last field without NUL is accepted");
	buf = written(&it, &len);
	ok(memmem(buf, len, "future_field=x", 15) != NULL, "unknown fields are written back");
	free(buf);
	item_free(&it);
	ok(item_parse(&it, nomagic, sizeof(nomagic), &why) < 0 && strstr(why, "header"),
	    "a file without the header is refused: %s", why);
	ok(item_parse(&it, badtime, sizeof(badtime), &why) < 0, "time must be UTC with Z");
	ok(item_parse(&it, hugealt, sizeof(hugealt), &why) < 0, "an altitude past 1000 km is refused");
	ok(item_parse(&it, halfgps, sizeof(halfgps), &why) < 0, "lat without lon is refused");
	ok(item_parse(&it, nosource, sizeof(nosource), &why) < 0, "a record needs a source");
	ok(item_parse(&it, noeq, sizeof(noeq), &why) < 0, "a field without '=' is refused");
	item_free(&it);
	ok(kind_of_name("/x/a.b/VID.MOV") == KIND_VIDEO && kind_of_name("/x/a.jpg/noext") ==
	    KIND_UNKNOWN && kind_of_name("s.FLAC") == KIND_AUDIO, "kind from the extension");
	ok(kind_of_name("a.3fr") == KIND_IMAGE && kind_of_name("a.X3F") == KIND_IMAGE &&
	    kind_of_name("a.Ts") == KIND_VIDEO && kind_of_name("a.wma") == KIND_AUDIO &&
	    kind_of_name("a.jpegs") == KIND_UNKNOWN && kind_of_name("a.jp") == KIND_UNKNOWN &&
	    kind_of_name("a.") == KIND_UNKNOWN && kind_of_name("a.xmp") == KIND_UNKNOWN,
	    "kind from the extension: the table's ends, any case, no near miss");
	ok(is_temp_name(".a.jpg.Ab12Zx") && is_temp_name(".a.Ab12Zx.mp4") &&
	    !is_temp_name(".hidden") && !is_temp_name("a.jpg.Ab12Zx"),
	    "temp names of atomic_open are recognised");
}

/* Version 2 exactly when the media is an archive member (issue 16). */
static void
test_member(void)
{
	struct item it;
	const char *why;
	static const char v2[] = "mem-item=2\0source=/in/takeout-001.zip\0"
	    "member=Takeout/Google Photos/a b\n\xff.MP4\0member_sig=10:20:0badf00d:3\0dest=x.mp4";
	static const char v1[] = "mem-item=1\0source=/in/a.jpg\0dest=a.jpg";
	static const char v3[] = "mem-item=3\0source=/in/a.jpg";
	char *buf;
	size_t len;

	ok(item_parse(&it, v2, sizeof(v2) - 1, &why) == 0 &&
	    strcmp(item_field(&it, "member"), "Takeout/Google Photos/a b\n\xff.MP4") == 0 &&
	    strcmp(item_field(&it, "member_sig"), "10:20:0badf00d:3") == 0,
	    "a version 2 record is read with its member fields");
	ok(it.kind == KIND_VIDEO, "a member's kind comes from the member name, not the zip's");
	buf = written(&it, &len);
	ok(memcmp(buf, "mem-item=2", 11) == 0 && memmem(buf, len, "member=Takeout/", 15) != NULL,
	    "a record with a member is written as version 2");
	free(buf);
	item_free(&it);
	ok(item_parse(&it, v1, sizeof(v1) - 1, &why) == 0, "version 1 is still read");
	buf = written(&it, &len);
	ok(memcmp(buf, "mem-item=1", 11) == 0, "a record without a member stays version 1");
	free(buf);
	item_free(&it);
	ok(item_parse(&it, v3, sizeof(v3) - 1, &why) < 0, "an unknown version is refused");
}

int
main(void)
{
	test_time();
	test_member();
	test_roundtrip();
	test_bad();
	return done();
}
