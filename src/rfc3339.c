#include "torq/rfc3339.h"

#include "torq/banned.h"

/* n decimal digits at *p, moving past them; -1 when not there. */
static long digits(const char **p, int n)
{
	long v = 0;

	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

int rfc3339_parse(const char *s, long long *sec, long *nsec)
{
	static const int before[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243,
				      273, 304, 334 };
	long y, mo, d, h, mi, se, oh, om, scale = 100000000;
	long long days;

	if (!s)
		return -1;
	y = digits(&s, 4);
	if (y < 0 || *s++ != '-' || (mo = digits(&s, 2)) < 1 || mo > 12 ||
	    *s++ != '-' || (d = digits(&s, 2)) < 1 || d > 31 ||
	    (*s != 'T' && *s != 't' && *s != ' ') || !*s++ ||
	    (h = digits(&s, 2)) < 0 || *s++ != ':' ||
	    (mi = digits(&s, 2)) < 0 || *s++ != ':' ||
	    (se = digits(&s, 2)) < 0 || h > 23 || mi > 59 || se > 60)
		return -1;
	*nsec = 0;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			*nsec += (*s - '0') * scale;
	}
	/* days since 1970-01-01: whole years, then this year's */
	days = 365LL * (y - 1970) + (y - 1969) / 4 - (y - 1901) / 100 +
		(y - 1601) / 400 + before[mo - 1] + d - 1;
	if (mo > 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		days++;
	*sec = days * 86400 + h * 3600 + mi * 60 + se;
	if (*s == 'Z' || *s == 'z')
		return s[1] ? -1 : 0;
	if (*s != '+' && *s != '-')
		return -1;
	{
		int sign = *s++ == '+' ? 1 : -1;

		if ((oh = digits(&s, 2)) < 0 || *s++ != ':' ||
		    (om = digits(&s, 2)) < 0 || *s)
			return -1;
		*sec -= sign * (oh * 3600 + om * 60);
	}
	return 0;
}
