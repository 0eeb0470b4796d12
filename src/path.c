#include <stdlib.h>
#include <string.h>

#include "torq/wrapper.h"

#include "torq/path.h"
#include "torq/banned.h"

void path_dirname(const char *path, struct buf *out)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		buf_addch(out, '.');
		return;
	}
	if (slash == path) {
		buf_addch(out, '/');
		return;
	}
	buf_add(out, path, (size_t)(slash - path));
}

/* Fold "." and "x/.." segments of the path in b, in place. */
static void normalize(struct buf *b)
{
	struct buf res = BUF_INIT;
	size_t *starts = NULL;	/* where each kept segment begins in res */
	size_t nr = 0, alloc = 0, up = 0;
	const char *p = b->s;
	int absolute = *p == '/';

	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (nr > up) {
				buf_setlen(&res, starts[--nr]);
			} else if (!absolute) {
				/* leading ".." segments stay */
				ALLOC_GROW(starts, nr + 1, alloc);
				starts[nr++] = res.len;
				up++;
				buf_addstr(&res, res.len ? "/.." : "..");
			}
		} else if (len && !(len == 1 && *p == '.')) {
			ALLOC_GROW(starts, nr + 1, alloc);
			starts[nr++] = res.len;
			if (res.len)
				buf_addch(&res, '/');
			buf_add(&res, p, len);
		}
		p += len;
		if (*p == '/')
			p++;
	}
	buf_reset(b);
	if (absolute)
		buf_addch(b, '/');
	buf_add(b, res.s, res.len);
	if (!b->len)
		buf_addch(b, '.');
	buf_release(&res);
	free(starts);
}

void path_relative_to(const char *from, const char *rel, struct buf *out)
{
	struct buf tmp = BUF_INIT;

	if (*rel != '/') {
		path_dirname(from, &tmp);
		buf_addch(&tmp, '/');
	}
	buf_addstr(&tmp, rel);
	normalize(&tmp);
	buf_add(out, tmp.s, tmp.len);
	buf_release(&tmp);
}
