#ifndef TORQ_RFC3339_H
#define TORQ_RFC3339_H

/*
 * An RFC 3339 time, as the API writes them ("2022-03-09T08:40:18Z",
 * "2022-03-09T08:40:18.490771179Z", "...+02:00"), as seconds since 1970
 * (UTC) and nanoseconds. Pure: no locale, no time zone database. Returns
 * 0, or -1 when s is not one (trailing text, a month 13, ...).
 */
int rfc3339_parse(const char *s, long long *sec, long *nsec);

#endif
