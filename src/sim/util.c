#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "torq/sim/util.h"
#include "torq/banned.h"

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	/* splitmix64 once, so small seeds still give a busy state */
	seed += 0x9e3779b97f4a7c15ull;
	seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ull;
	seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebull;
	seed ^= seed >> 31;
	r->s = seed ? seed : 0x2545f4914f6cdd1dull;
}

void sim_rng_seed_random(struct sim_rng *r)
{
	uint64_t seed = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &seed, sizeof(seed)) != sizeof(seed))
		seed = (uint64_t)sim_mono_ns() ^ ((uint64_t)getpid() << 32) ^
		       (uint64_t)time(NULL);
	if (fd >= 0)
		close(fd);
	sim_rng_seed(r, seed);
}

uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dull;
}

double sim_rng_double(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static const char hexdigits[] = "0123456789abcdef";

void sim_uuid(struct sim_rng *r, char out[SIM_UUID_LEN + 1])
{
	unsigned char b[16];
	uint64_t a = sim_rng_next(r), c = sim_rng_next(r);
	size_t i, o = 0;

	memcpy(b, &a, 8);
	memcpy(b + 8, &c, 8);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hexdigits[b[i] >> 4];
		out[o++] = hexdigits[b[i] & 15];
	}
	out[o] = '\0';
}

void sim_random_hex(struct sim_rng *r, char *out, size_t nbytes)
{
	size_t i;

	for (i = 0; i < nbytes; i++) {
		unsigned v = (unsigned)(sim_rng_next(r) >> 56);

		out[2 * i] = hexdigits[v >> 4];
		out[2 * i + 1] = hexdigits[v & 15];
	}
	out[2 * nbytes] = '\0';
}

void sim_time_now(char out[SIM_TIME_LEN + 1])
{
	struct timespec ts;
	struct tm tm;
	long ns;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	/* years past 9999 would not fit; the emulator will not see them */
	strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	out[19] = '.';
	for (i = 28, ns = ts.tv_nsec; i >= 20; i--, ns /= 10)
		out[i] = (char)('0' + ns % 10);
	out[29] = 'Z';
	out[30] = '\0';
}

int64_t sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sim_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sim_sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void sim_base64_encode(struct buf *out, const void *data, size_t len,
		       int url)
{
	const unsigned char *p = data;
	const char *abc = url ? b64url : b64;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 |
			     p[i + 2];

		buf_addch(out, abc[v >> 18]);
		buf_addch(out, abc[(v >> 12) & 63]);
		buf_addch(out, abc[(v >> 6) & 63]);
		buf_addch(out, abc[v & 63]);
	}
	if (i < len) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		buf_addch(out, abc[v >> 18]);
		buf_addch(out, abc[(v >> 12) & 63]);
		if (i + 1 < len)
			buf_addch(out, abc[(v >> 6) & 63]);
		if (!url)
			buf_addstr(out, i + 1 < len ? "=" : "==");
	}
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int sim_base64_decode(struct buf *out, const char *s)
{
	size_t len = strlen(s), i;
	unsigned v = 0;
	int bits = 0;

	while (len && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		int d = b64_value(s[i]);

		if (d < 0)
			return -1;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addch(out, (char)((v >> bits) & 0xff));
		}
	}
	return 0;
}

void sim_slug(struct buf *out, const char *s)
{
	size_t start = out->len;
	int gap = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c >= 'A' && c <= 'Z')) {
			if (gap && out->len > start)
				buf_addch(out, '_');
			gap = 0;
			buf_addch(out, (char)(c >= 'A' && c <= 'Z' ?
					      c - 'A' + 'a' : c));
		} else {
			gap = 1;
		}
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void sim_form_decode(struct buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			buf_addch(out, ' ');
		} else if (s[i] == '%' && i + 2 < len &&
			   hex_value(s[i + 1]) >= 0 &&
			   hex_value(s[i + 2]) >= 0) {
			buf_addch(out, (char)(hex_value(s[i + 1]) * 16 +
					      hex_value(s[i + 2])));
			i += 2;
		} else {
			buf_addch(out, s[i]);
		}
	}
}
