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

/* SHA-256 (FIPS 180-4), small and slow enough for fingerprints. */
struct sha256 {
	uint32_t h[8];
	unsigned char block[64];
	size_t used;
	uint64_t total;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *c, const unsigned char *p)
{
	uint32_t w[64], a, b, d, e, f, g, h, cc, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
			      (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^
			      (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
	e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		     ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		     ((a & b) ^ (a & cc) ^ (b & cc));
		h = g; g = f; f = e; e = d + t1;
		d = cc; cc = b; b = a; a = t1 + t2;
	}
	c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
	c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static void sha256_add(struct sha256 *c, const unsigned char *p, size_t len)
{
	c->total += len;
	while (len) {
		size_t n = 64 - c->used;

		if (n > len)
			n = len;
		memcpy(c->block + c->used, p, n);
		c->used += n;
		p += n;
		len -= n;
		if (c->used == 64) {
			sha256_block(c, c->block);
			c->used = 0;
		}
	}
}

void sim_sha256_hex(const void *data, size_t len, char out[65])
{
	static const uint32_t init[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	struct sha256 c;
	unsigned char pad[72] = { 0x80 };
	uint64_t bits;
	size_t padlen, i;

	memcpy(c.h, init, sizeof(init));
	c.used = 0;
	c.total = 0;
	sha256_add(&c, data, len);
	bits = c.total * 8;
	padlen = (c.used < 56 ? 56 : 120) - c.used;
	for (i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_add(&c, pad, padlen + 8);
	for (i = 0; i < 32; i++) {
		unsigned v = (c.h[i / 4] >> (24 - 8 * (i % 4))) & 0xff;

		out[2 * i] = hexdigits[v >> 4];
		out[2 * i + 1] = hexdigits[v & 15];
	}
	out[64] = '\0';
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
