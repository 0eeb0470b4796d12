/* SHA-256 against the NIST vectors, HMAC-SHA256 against RFC 4231. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/sha256.h"
#include "torq/banned.h"

static void hex_of(const unsigned char *md, char out[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[SHA256_HEX_LEN] = '\0';
}

/* Both the one-shot and the streaming interface must give want. */
static void expect_sha256(const char *msg, const char *want)
{
	struct sha256_ctx c;
	unsigned char md[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	size_t i, len = strlen(msg);

	sha256_hex(msg, len, hex);
	assert_string_equal(hex, want);

	sha256_init(&c);
	for (i = 0; i < len; i++)
		sha256_update(&c, msg + i, 1);
	sha256_final(&c, md);
	hex_of(md, hex);
	assert_string_equal(hex, want);
}

static void test_sha256_empty(void **state)
{
	char hex[SHA256_HEX_LEN + 1];

	(void)state;
	expect_sha256("", "e3b0c44298fc1c149afbf4c8996fb924"
		      "27ae41e4649b934ca495991b7852b855");
	sha256_hex(NULL, 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
			    "27ae41e4649b934ca495991b7852b855");
}

static void test_sha256_abc(void **state)
{
	(void)state;
	expect_sha256("abc", "ba7816bf8f01cfea414140de5dae2223"
		      "b00361a396177a9cb410ff61f20015ad");
}

static void test_sha256_448_bits(void **state)
{
	(void)state;
	expect_sha256("abcdbcdecdefdefgefghfghighijhijk"
		      "ijkljklmklmnlmnomnopnopq",
		      "248d6a61d20638b8e5c026930c3e6039"
		      "a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_896_bits(void **state)
{
	(void)state;
	expect_sha256("abcdefghbcdefghicdefghijdefghijk"
		      "efghijklfghijklmghijklmnhijklmno"
		      "ijklmnopjklmnopqklmnopqrlmnopqrs"
		      "mnopqrstnopqrstu",
		      "cf5b16a778af8380036ce59e7b049237"
		      "0b249b11e8f07a51afac45037afee9d1");
}

/* One million 'a', in chunks that straddle the 64-byte blocks. */
static void test_sha256_million_a(void **state)
{
	static const size_t chunks[] = { 1, 63, 64, 65, 1000, 7 };
	struct sha256_ctx c;
	unsigned char md[SHA256_LEN];
	char a[1000], hex[SHA256_HEX_LEN + 1];
	size_t left = 1000000, i = 0, n;

	(void)state;
	memset(a, 'a', sizeof(a));
	sha256_init(&c);
	while (left) {
		n = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))];
		if (n > left)
			n = left;
		sha256_update(&c, a, n);
		left -= n;
	}
	sha256_final(&c, md);
	hex_of(md, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
			    "f1809a48a497200e046d39ccc7112cd0");
}

/* Every padding length around the block boundary, one-shot vs streamed. */
static void test_sha256_padding_boundaries(void **state)
{
	char msg[130], one[SHA256_HEX_LEN + 1], two[SHA256_HEX_LEN + 1];
	struct sha256_ctx c;
	unsigned char md[SHA256_LEN];
	size_t len;

	(void)state;
	memset(msg, 'x', sizeof(msg));
	for (len = 50; len <= sizeof(msg); len++) {
		sha256_hex(msg, len, one);
		sha256_init(&c);
		sha256_update(&c, msg, len / 2);
		sha256_update(&c, msg + len / 2, len - len / 2);
		sha256_final(&c, md);
		hex_of(md, two);
		assert_string_equal(one, two);
	}
	/* 55 and 56 bytes take one and two padding blocks */
	sha256_hex(msg, 55, one);
	sha256_hex(msg, 56, two);
	assert_string_not_equal(one, two);
}

static void expect_hmac(const void *key, size_t keylen, const void *data,
			size_t len, const char *want)
{
	char hex[SHA256_HEX_LEN + 1];

	hmac_sha256_hex(key, keylen, data, len, hex);
	assert_string_equal(hex, want);
}

/* RFC 4231 test case 1: a 20-byte key of 0x0b. */
static void test_sha256_hmac_case1(void **state)
{
	unsigned char key[20];

	(void)state;
	memset(key, 0x0b, sizeof(key));
	expect_hmac(key, sizeof(key), "Hi There", 8,
		    "b0344c61d8db38535ca8afceaf0bf12b"
		    "881dc200c9833da726e9376c2e32cff7");
}

/* Test case 2: a key shorter than the output. */
static void test_sha256_hmac_case2(void **state)
{
	(void)state;
	expect_hmac("Jefe", 4, "what do ya want for nothing?", 28,
		    "5bdcc146bf60754e6a042426089575c7"
		    "5a003f089d2739839dec58b964ec3843");
}

/* Test case 3: 20 bytes of 0xaa key, 50 bytes of 0xdd data. */
static void test_sha256_hmac_case3(void **state)
{
	unsigned char key[20], data[50];

	(void)state;
	memset(key, 0xaa, sizeof(key));
	memset(data, 0xdd, sizeof(data));
	expect_hmac(key, sizeof(key), data, sizeof(data),
		    "773ea91e36800e46854db8ebd09181a7"
		    "2959098b3ef8c122d9635514ced565fe");
}

/* Test case 4: key 0x01..0x19, 50 bytes of 0xcd data. */
static void test_sha256_hmac_case4(void **state)
{
	unsigned char key[25], data[50];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i + 1);
	memset(data, 0xcd, sizeof(data));
	expect_hmac(key, sizeof(key), data, sizeof(data),
		    "82558a389a443c0ea4cc819899f2083a"
		    "85f0faa3e578f8077a2e3ff46729665b");
}

/* Cases 6 and 7: a 131-byte key of 0xaa, longer than a block. */
static void expect_hmac_long_key(const char *msg, const char *want)
{
	unsigned char key[131];

	memset(key, 0xaa, sizeof(key));
	expect_hmac(key, sizeof(key), msg, strlen(msg), want);
}

/* Test case 6: the long key is hashed first. */
static void test_sha256_hmac_case6(void **state)
{
	(void)state;
	expect_hmac_long_key("Test Using Larger Than Block-Size Key - Hash "
			     "Key First",
			     "60e431591ee0b67f0d8a26aacbf5b77f"
			     "8e0bc6213728c5140546040f0ee37f54");
}

/* Test case 7: the long key and data longer than a block. */
static void test_sha256_hmac_case7(void **state)
{
	(void)state;
	expect_hmac_long_key("This is a test using a larger than block-size "
			     "key and a larger than block-size data. The "
			     "key needs to be hashed before being used by "
			     "the HMAC algorithm.",
			     "9b09ffa71b942fcb27635fbcd5b0e944"
			     "bfdc63644f0713938a7f51535c3a35e2");
}

/* A key of exactly one block is used as it is, not hashed. */
static void test_sha256_hmac_block_key(void **state)
{
	unsigned char key[64], hashed[SHA256_LEN];
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	struct sha256_ctx c;

	(void)state;
	memset(key, 0x42, sizeof(key));
	hmac_sha256_hex(key, sizeof(key), "m", 1, a);
	sha256_init(&c);
	sha256_update(&c, key, sizeof(key));
	sha256_final(&c, hashed);
	hmac_sha256_hex(hashed, sizeof(hashed), "m", 1, b);
	assert_string_not_equal(a, b);
	hmac_sha256_hex(NULL, 0, "m", 1, a);
	assert_int_equal(strlen(a), SHA256_HEX_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_empty),
		cmocka_unit_test(test_sha256_abc),
		cmocka_unit_test(test_sha256_448_bits),
		cmocka_unit_test(test_sha256_896_bits),
		cmocka_unit_test(test_sha256_million_a),
		cmocka_unit_test(test_sha256_padding_boundaries),
		cmocka_unit_test(test_sha256_hmac_case1),
		cmocka_unit_test(test_sha256_hmac_case2),
		cmocka_unit_test(test_sha256_hmac_case3),
		cmocka_unit_test(test_sha256_hmac_case4),
		cmocka_unit_test(test_sha256_hmac_case6),
		cmocka_unit_test(test_sha256_hmac_case7),
		cmocka_unit_test(test_sha256_hmac_block_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
