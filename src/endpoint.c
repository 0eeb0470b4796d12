#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "torq/endpoint.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* A URL taken apart; every string is owned. */
struct url {
	char *scheme;		/* "http" or "https" */
	char *host;		/* lower case, IPv6 in brackets */
	long port;		/* 0 when none is written */
	char *path;		/* "" or "/a/b", no trailing '/' */
};

static const struct region {
	const char *name;
	const char *url;
	const char *host;
} regions[] = {
	{ "us", ENDPOINT_DEFAULT, "api.torq.io" },
	{ "eu", ENDPOINT_EU, "api.eu.torq.io" },
};

static void url_release(struct url *u)
{
	free(u->scheme);
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

static int is_octet(const char *s, size_t len)
{
	size_t i;
	unsigned v = 0;

	/* No leading zero: "010" is octal to inet_aton; not ours to judge. */
	if (!len || len > 3 || (len > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= 255;
}

int endpoint_host_is_loopback(const char *host)
{
	const char *p, *dot;
	int parts = 1;

	if (!host)
		return 0;
	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]"))
		return 1;
	if (strncmp(host, "127.", 4))
		return 0;
	for (p = host + 4; ; p = dot + 1) {
		dot = strchr(p, '.');
		if (!is_octet(p, dot ? (size_t)(dot - p) : strlen(p)))
			return 0;
		parts++;
		if (!dot)
			break;
	}
	return parts == 4;
}

static int valid_name_host(const char *s, size_t len)
{
	size_t i;

	/* Letters, digits, '-', '_' in non-empty labels between dots. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (i == 0 || i + 1 == len || s[i + 1] == '.')
				return 0;
		} else if (!isalnum(c) && c != '-' && c != '_') {
			return 0;
		}
	}
	return len > 0;
}

static int valid_ipv6_host(const char *s, size_t len)
{
	size_t i;

	/* "[...]" holding hex digits, ':' and '.' (an embedded IPv4). */
	if (len < 3 || s[0] != '[' || s[len - 1] != ']')
		return 0;
	for (i = 1; i + 1 < len; i++)
		if (!isxdigit((unsigned char)s[i]) && s[i] != ':' &&
		    s[i] != '.')
			return 0;
	return 1;
}

static int parse_port(const char *s, size_t len, long *port)
{
	char digits[8];
	size_t i;

	if (!len || len >= sizeof(digits))
		return -1;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	memcpy(digits, s, len);
	digits[len] = '\0';
	return parse_long(digits, 1, 65535, port);
}

static char *lower_dup(const char *s, size_t len)
{
	char *p = xstrndup(s, len);
	size_t i;

	for (i = 0; p[i]; i++)
		p[i] = (char)tolower((unsigned char)p[i]);
	return p;
}

/*
 * Take url apart into u; what names its source for messages ("--endpoint").
 * The URL is quoted in messages only once it is known to hold no user
 * name or password.
 */
static int parse_url(const char *what, const char *url, struct url *u,
		     struct buf *err)
{
	const char *sep, *auth, *end, *host_end, *p;
	size_t len;
	int ret = -1;

	memset(u, 0, sizeof(*u));
	if (!*url) {
		buf_addf(err, "%s is empty", what);
		goto out;
	}
	for (p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			buf_addf(err, "%s must not contain spaces or control "
				 "characters", what);
			goto out;
		}
	}
	/*
	 * Any '@' before the end of what may be the host is taken for a
	 * user name, whatever the scheme looks like: better refused than
	 * quoted with a password in it.
	 */
	sep = strstr(url, "://");
	auth = sep ? sep + 3 : url;
	end = auth + strcspn(auth, "/?#");
	if (memchr(url, '@', (size_t)(end - url))) {
		buf_addf(err, "%s must not contain a user name or password",
			 what);
		goto out;
	}
	/* A query may hold a key, so these messages do not quote the URL. */
	if (strchr(url, '?')) {
		buf_addf(err, "%s must not have a query ('?')", what);
		goto out;
	}
	if (strchr(url, '#')) {
		buf_addf(err, "%s must not have a fragment ('#')", what);
		goto out;
	}
	if (sep && (sep == url || !isalpha((unsigned char)url[0])))
		sep = NULL;
	for (p = url; sep && p < sep; p++)
		if (!isalnum((unsigned char)*p) && !strchr("+-.", *p))
			sep = NULL;
	if (!sep) {
		buf_addf(err, "%s '%s' has no scheme", what, url);
		if (!strstr(url, "://"))
			buf_addf(err, ": write 'https://%s'", url);
		goto out;
	}
	u->scheme = lower_dup(url, (size_t)(sep - url));
	if (strcmp(u->scheme, "https") && strcmp(u->scheme, "http")) {
		buf_addf(err, "%s '%s' has the scheme '%s': use https", what,
			 url, u->scheme);
		goto out;
	}

	if (*auth == '[') {
		/* Only a port may follow "[...]". */
		p = memchr(auth, ']', (size_t)(end - auth));
		host_end = p ? p + 1 : end;
		if (host_end < end && *host_end != ':')
			host_end = end;
	} else {
		p = memchr(auth, ':', (size_t)(end - auth));
		host_end = p ? p : end;
	}
	len = (size_t)(host_end - auth);
	if (!len) {
		buf_addf(err, "%s '%s' has no host", what, url);
		goto out;
	}
	if (*auth == '[' ? !valid_ipv6_host(auth, len) :
	    !valid_name_host(auth, len)) {
		buf_addf(err, "%s '%s' has a bad host '%.*s'", what, url,
			 (int)len, auth);
		goto out;
	}
	u->host = lower_dup(auth, len);
	if (host_end < end) {
		if (parse_port(host_end + 1, (size_t)(end - host_end - 1),
			       &u->port)) {
			buf_addf(err, "%s '%s' has a bad port '%.*s': use a "
				 "number from 1 to 65535", what, url,
				 (int)(end - host_end - 1), host_end + 1);
			goto out;
		}
	}

	len = strlen(end);
	while (len && end[len - 1] == '/')
		len--;
	u->path = xstrndup(end, len);
	if (!strcmp(u->scheme, "http") &&
	    !endpoint_host_is_loopback(u->host)) {
		buf_addf(err, "refusing plain http to '%s': use https, or a "
			 "loopback address for torq-sim", u->host);
		goto out;
	}
	ret = 0;
out:
	if (ret)
		url_release(u);
	return ret;
}

/* "scheme://host[:port]", what a token URL is built on. */
static void add_origin(struct buf *b, const struct url *u)
{
	buf_addf(b, "%s://%s", u->scheme, u->host);
	if (u->port)
		buf_addf(b, ":%ld", u->port);
}

static int check_prefix(const char *prefix, struct buf *out, struct buf *err)
{
	size_t len = strlen(prefix);

	if (*prefix && *prefix != '/') {
		buf_addf(err, "API prefix '%s' must start with '/'", prefix);
		return -1;
	}
	if (strcspn(prefix, "?# \t\r\n\v\f") != len) {
		buf_addf(err, "API prefix '%s' must not contain '?', '#' or "
			 "white space", prefix);
		return -1;
	}
	while (len && prefix[len - 1] == '/')
		len--;
	buf_add(out, prefix, len);
	return 0;
}

/* api.torq.io and api.<region>.torq.io serve tokens on auth.<...>. */
static int is_cloud_host(const char *host)
{
	size_t len = strlen(host);
	static const char suffix[] = ".torq.io";

	return !strncmp(host, "api.", 4) && len >= sizeof(suffix) - 1 &&
	       !strcmp(host + len - (sizeof(suffix) - 1), suffix);
}

int endpoint_resolve(const struct endpoint_options *o, struct endpoint *out,
		     struct buf *err)
{
	struct url api, auth;
	struct buf b = BUF_INIT, prefix = BUF_INIT, host = BUF_INIT;
	const struct region *region = NULL;
	const char *url, *what;
	size_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	memset(&api, 0, sizeof(api));
	memset(&auth, 0, sizeof(auth));
	if (o->region) {
		for (i = 0; i < ARRAY_SIZE(regions); i++)
			if (!strcmp(o->region, regions[i].name))
				region = &regions[i];
		if (!region) {
			buf_addf(err, "unknown region '%s': use one of us, eu",
				 o->region);
			goto out;
		}
	}
	if (check_prefix(o->prefix ? o->prefix : ENDPOINT_PREFIX, &prefix,
			 err))
		goto out;

	if (o->endpoint) {
		url = o->endpoint;
		what = "--endpoint";
	} else if (o->env_endpoint && *o->env_endpoint) {
		url = o->env_endpoint;
		what = "$TORQ_ENDPOINT";
	} else {
		url = region ? region->url : ENDPOINT_DEFAULT;
		what = region ? "--region" : "the default endpoint";
	}
	if (parse_url(what, url, &api, err))
		goto out;
	if (region && strcmp(api.host, region->host)) {
		buf_addf(err, "%s '%s' is not in region '%s' (%s): give only "
			 "one of them", what, url, region->name, region->host);
		goto out;
	}

	buf_addstr(&host, api.host);
	if (api.port)
		buf_addf(&host, ":%ld", api.port);
	add_origin(&b, &api);
	buf_addstr(&b, api.path);
	buf_addstr(&b, prefix.s);
	out->api = buf_detach(&b, NULL);

	if (o->auth_endpoint) {
		if (parse_url("--auth-endpoint", o->auth_endpoint, &auth, err))
			goto out;
		add_origin(&b, &auth);
		buf_addstr(&b, auth.path);
	} else if (is_cloud_host(api.host)) {
		buf_addf(&b, "%s://auth%s", api.scheme, api.host + 3);
		if (api.port)
			buf_addf(&b, ":%ld", api.port);
	} else {
		add_origin(&b, &api);
	}
	buf_addstr(&b, ENDPOINT_TOKEN_PATH);
	out->token_url = buf_detach(&b, NULL);
	out->host = buf_detach(&host, NULL);
	ret = 0;
out:
	if (ret)
		endpoint_release(out);
	url_release(&api);
	url_release(&auth);
	buf_release(&b);
	buf_release(&prefix);
	buf_release(&host);
	return ret;
}

void endpoint_release(struct endpoint *e)
{
	if (!e)
		return;
	free(e->api);
	free(e->token_url);
	free(e->host);
	memset(e, 0, sizeof(*e));
}
