/*
 * embed NAME FILE: print a C file defining NAME_text[] (the file's bytes,
 * NUL-terminated) and NAME_len, so data ships inside the binary.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	FILE *f;
	int c;
	unsigned long n = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: embed NAME FILE\n");
		return 1;
	}
	f = fopen(argv[2], "rb");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	printf("/* Generated from %s by tools/embed.c; do not edit. */\n",
	       argv[2]);
	printf("#include <stddef.h>\n");
	printf("extern const char %s_text[];\n", argv[1]);
	printf("extern const size_t %s_len;\n", argv[1]);
	printf("const char %s_text[] = {", argv[1]);
	while ((c = getc(f)) != EOF) {
		printf("%s0x%02x,", n % 12 ? " " : "\n\t", c);
		n++;
	}
	printf("\n\t0x00\n};\nconst size_t %s_len = %lu;\n", argv[1], n);
	if (ferror(f)) {
		perror(argv[2]);
		return 1;
	}
	fclose(f);
	return 0;
}
