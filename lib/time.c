/*
 * time.c -- capture instants. An instant is UTC seconds; its UTC offset is
 * known (minutes east) or OFFSET_UNKNOWN. Nothing here reads the TZ
 * variable: a UTC string is never taken as local time.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t
time_from_utc_tm(const struct tm *tm)
{
	int64_t days = days_from_civil((int64_t)tm->tm_year + 1900,
	    (unsigned)tm->tm_mon + 1, (unsigned)tm->tm_mday);

	return days * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

void
time_wall(int64_t utc, int32_t offset_min, struct tm *tm)
{
	int64_t t = utc, days, secs, z, era;
	unsigned doe, yoe, doy, mp;

	if (offset_min != OFFSET_UNKNOWN)
		t += (int64_t)offset_min * 60;
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	memset(tm, 0, sizeof(*tm));
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)((days % 7 + 11) % 7);	/* 1970-01-01 was a Thursday */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_mon = (int)(mp < 10 ? mp + 2 : mp - 10);
	tm->tm_year = (int)(yoe + era * 400 + (tm->tm_mon <= 1) - 1900);
}

static int
digits(const char **s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -1;
		*v = *v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return 0;
}

int
time_parse(const char *s, int64_t *utc, int32_t *offset_min)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	while (isspace((unsigned char)*s))
		s++;
	if (digits(&s, 4, &y) < 0 || (*s != '-' && *s != ':'))
		return -1;
	s++;
	if (digits(&s, 2, &mo) < 0 || (*s != '-' && *s != ':'))
		return -1;
	s++;
	if (digits(&s, 2, &d) < 0)
		return -1;
	if (*s == 'T' || *s == ' ') {
		s++;
		if (digits(&s, 2, &h) < 0 || *s++ != ':' || digits(&s, 2, &mi) < 0)
			return -1;
		if (*s == ':') {
			s++;
			if (digits(&s, 2, &sec) < 0)
				return -1;
		}
		if (*s == '.' || *s == ',') {
			s++;
			if (!isdigit((unsigned char)*s))
				return -1;
			while (isdigit((unsigned char)*s))
				s++;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    sec > 60 || (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return -1;
	if (sec == 60)
		sec = 59;
	*offset_min = OFFSET_UNKNOWN;
	if (*s == ' ')
		s++;
	if (*s == 'Z' || *s == 'z') {
		*offset_min = 0;
		s++;
	} else if (strncmp(s, "UTC", 3) == 0) {
		*offset_min = 0;
		s += 3;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) < 0)
			return -1;
		if (*s == ':')
			s++;
		if (*s == '\0')
			om = 0;
		else if (digits(&s, 2, &om) < 0)
			return -1;
		if (oh > 18 || om > 59)
			return -1;
		*offset_min = sign * (oh * 60 + om);
	}
	if (*s != '\0')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*utc = time_from_utc_tm(&tm);
	if (*offset_min != OFFSET_UNKNOWN)
		*utc -= (int64_t)*offset_min * 60;
	return 0;
}

void
time_format(int64_t utc, int32_t offset_min, char *buf, size_t size)
{
	struct tm tm;
	int off;

	time_wall(utc, offset_min, &tm);
	if (offset_min == OFFSET_UNKNOWN) {
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		return;
	}
	off = offset_min < 0 ? -offset_min : offset_min;
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

/* A date with a time of day: "2019-06-16T16:45:14", "2019:06:16 16:45:14"
 * (as EXIF writes it, and darktable into XMP); "2019-06-16" alone is a day,
 * which exiftool-vendored gives Immich as no date. */
int
time_has_clock(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return strlen(s) > 11 && (s[10] == 'T' || s[10] == ' ') &&
	    isdigit((unsigned char)s[11]);
}
