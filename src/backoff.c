#include <string.h>

#include "torq/backoff.h"
#include "torq/banned.h"

/* The longest Retry-After believed; the caller may cut it shorter still. */
#define RETRY_AFTER_MAX_S 86400

int64_t backoff_delay_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms,
			 uint32_t rnd)
{
	int64_t d = base_ms, half;
	unsigned i;

	if (base_ms <= 0 || cap_ms <= 0)
		return 0;
	/* Double without overflow: stop once the cap is reached. */
	for (i = 1; i < attempt && d < cap_ms; i++)
		d = d > cap_ms / 2 ? cap_ms : d * 2;
	if (d > cap_ms)
		d = cap_ms;
	half = d / 2;
	return half + (int64_t)((uint64_t)rnd % (uint64_t)(half + 1));
}

uint32_t backoff_random(uint32_t *state)
{
	uint32_t x = *state ? *state : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* n digits at s as a number, or -1 when any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int find(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(names[i], s, 3))
			return i;
	return -1;
}

/*
 * An IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", as seconds since the
 * epoch; the obsolete RFC 850 and asctime forms are refused.
 */
static int parse_imf_fixdate(const char *s, int64_t *t)
{
	static const char *const wdays[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	int wday, day, mon, year, hh, mm, ss;
	int64_t days;

	if (strlen(s) != 29 || strncmp(s + 3, ", ", 2) || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    strcmp(s + 25, " GMT"))
		return -1;
	wday = find(wdays, 7, s);
	mon = find(months, 12, s + 8);
	day = digits(s + 5, 2);
	year = digits(s + 12, 4);
	hh = digits(s + 17, 2);
	mm = digits(s + 20, 2);
	ss = digits(s + 23, 2);
	if (wday < 0 || mon < 0 || day < 1 || year < 0 || hh < 0 || hh > 23 ||
	    mm < 0 || mm > 59 || ss < 0 || ss > 60 ||
	    (unsigned)day > days_in_month(year, (unsigned)mon + 1))
		return -1;
	days = days_from_civil(year, (unsigned)mon + 1, (unsigned)day);
	/* 1970-01-01 was a Thursday; a wrong day name means a bad date. */
	if (((days + 4) % 7 + 7) % 7 != wday)
		return -1;
	*t = days * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

int backoff_parse_retry_after(const char *value, time_t now, int64_t *ms)
{
	const char *p;
	int64_t secs = 0, t;
	size_t len;
	char date[32];

	if (!value)
		return -1;
	/* Optional white space around a header value (RFC 9110 5.5). */
	while (*value == ' ' || *value == '\t')
		value++;
	len = strlen(value);
	while (len && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	if (!len)
		return -1;
	if (value[0] >= '0' && value[0] <= '9') {
		for (p = value; p < value + len; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			secs = secs * 10 + (*p - '0');
			if (secs > RETRY_AFTER_MAX_S)
				secs = RETRY_AFTER_MAX_S;
		}
		*ms = secs * 1000;
		return 0;
	}
	if (len >= sizeof(date))
		return -1;
	memcpy(date, value, len);
	date[len] = '\0';
	if (parse_imf_fixdate(date, &t))
		return -1;
	secs = t - (int64_t)now;
	if (secs < 0)
		secs = 0;
	if (secs > RETRY_AFTER_MAX_S)
		secs = RETRY_AFTER_MAX_S;
	*ms = secs * 1000;
	return 0;
}
