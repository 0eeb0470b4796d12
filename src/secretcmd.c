/* pipe2, O_CLOEXEC and close_range: no descriptor of ours reaches a child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "torq/secretcmd.h"
#include "torq/redact.h"
#include "torq/utf8.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

extern char **environ;

/* --- words ---------------------------------------------------------------- */

void secretcmd_words_init(struct secretcmd_words *w)
{
	memset(w, 0, sizeof(*w));
}

void secretcmd_words_release(struct secretcmd_words *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nr; i++)
		free(w->v[i]);
	free(w->v);
	secretcmd_words_init(w);
}

static void words_push(struct secretcmd_words *w, struct buf *word)
{
	ALLOC_GROW(w->v, w->nr + 2, w->alloc);
	w->v[w->nr++] = buf_detach(word, NULL);
	w->v[w->nr] = NULL;
}

int secretcmd_split(const char *text, struct secretcmd_words *w,
		    struct buf *err)
{
	struct buf word = BUF_INIT;
	const char *p = text;
	int in_word = 0, ret = -1;

	for (; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			if (in_word)
				words_push(w, &word);
			in_word = 0;
			continue;
		}
		in_word = 1;
		if (*p == '\\') {
			if (!p[1]) {
				buf_addf(err, "a backslash ends '%s'; write "
					 "\\\\ for a backslash", text);
				goto out;
			}
			buf_addch(&word, *++p);
		} else if (*p == '\'') {
			const char *end = strchr(p + 1, '\'');

			if (!end) {
				buf_addf(err, "unterminated single quote in "
					 "'%s'", text);
				goto out;
			}
			buf_add(&word, p + 1, (size_t)(end - p - 1));
			p = end;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				buf_addch(&word, *p);
			}
			if (!*p) {
				buf_addf(err, "unterminated double quote in "
					 "'%s'", text);
				goto out;
			}
		} else {
			buf_addch(&word, *p);
		}
	}
	if (in_word)
		words_push(w, &word);
	if (!w->nr) {
		buf_addstr(err, "the command is empty");
		goto out;
	}
	ret = 0;
out:
	if (ret)
		secretcmd_words_release(w);
	buf_release(&word);
	return ret;
}

/* --- finding the program -------------------------------------------------- */

static int executable_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

int secretcmd_find(const char *word, const char *path_env, struct buf *out)
{
	struct buf cand = BUF_INIT;
	const char *p, *end;
	int ret = -1;

	if (strchr(word, '/')) {
		if (executable_file(word)) {
			buf_addstr(out, word);
			ret = 0;
		}
		return ret;
	}
	if (!*word)
		return -1;
	if (!path_env)
		path_env = "/usr/local/bin:/usr/bin:/bin";
	for (p = path_env;; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		buf_reset(&cand);
		if (end > p)
			buf_addf(&cand, "%.*s/", (int)(end - p), p);
		buf_addstr(&cand, word);
		if (executable_file(cand.s)) {
			buf_addstr(out, cand.s);
			ret = 0;
			break;
		}
		if (!*end)
			break;
	}
	buf_release(&cand);
	return ret;
}

/* --- running one command -------------------------------------------------- */

void secretcmd_result_init(struct secretcmd_result *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->out);
	buf_init(&r->err);
}

void secretcmd_result_release(struct secretcmd_result *r)
{
	if (!r)
		return;
	secure_zero(r->out.s, r->out.alloc);
	buf_release(&r->out);
	buf_release(&r->err);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This process's environment without torq-apply's own credentials. */
static char **child_env(void)
{
	static const char *const drop[] = {
		"TORQ_CLIENT_ID=", "TORQ_CLIENT_SECRET=",
	};
	char **env;
	size_t n = 0, i, j, k = 0;

	while (environ && environ[n])
		n++;
	env = xcalloc(n + 1, sizeof(*env));
	for (i = 0; i < n; i++) {
		for (j = 0; j < ARRAY_SIZE(drop); j++)
			if (!strncmp(environ[i], drop[j], strlen(drop[j])))
				break;
		if (j == ARRAY_SIZE(drop))
			env[k++] = environ[i];
	}
	return env;
}

/*
 * In the child, between fork and execve: only async-signal-safe calls.
 * On failure errno goes up the report pipe (close-on-exec, so it reads
 * end of file when execve works).
 */
static void child(const char *path, char *const argv[], char **env,
		  int in, int out, int err, int report)
{
	int e;

	setpgid(0, 0);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	/* what a thread opened without close-on-exec: curl's sockets */
	close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
	execve(path, argv, env);
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		e = 0;
	_exit(127);
}

/* Read what fd has; 0 at end of file, 1 when more may come. */
static int drain(int fd, struct buf *into, size_t max, int *over)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (!n)
		return 0;
	if (into->len + (size_t)n > max) {
		if (over)
			*over = 1;
		n = (ssize_t)(max - into->len);
	}
	buf_add(into, tmp, (size_t)n);
	secure_zero(tmp, sizeof(tmp));
	return 1;
}

/* Poll the pipes until both end, the child exits, or time runs out. */
static void collect(pid_t pid, int out, int err, double timeout,
		    struct secretcmd_result *res, int *status)
{
	struct pollfd fds[2];
	double deadline = now_s() + timeout, left;
	int open_out = 1, open_err = 1, over = 0, exited = 0;

	while (open_out || open_err) {
		int n = 0, i, ready;

		left = deadline - now_s();
		if (left <= 0) {
			res->outcome = SECRETCMD_TIMEOUT;
			break;
		}
		if (open_out)
			fds[n++] = (struct pollfd){ out, POLLIN, 0 };
		if (open_err)
			fds[n++] = (struct pollfd){ err, POLLIN, 0 };
		/*
		 * In slices, to notice an exit whose pipes a grandchild
		 * keeps open; once it exited, only what is there is read.
		 */
		ready = poll(fds, (nfds_t)n, exited ? 0 : left > 0.1 ? 100 :
			     (int)(left * 1000) + 1);
		if (ready < 0 && errno != EINTR) {
			res->outcome = SECRETCMD_CANNOT_RUN;
			res->code = errno;
			break;
		}
		if (exited && !ready)
			break;
		for (i = 0; i < n; i++) {
			if (!fds[i].revents)
				continue;
			if (fds[i].fd == out)
				open_out = drain(out, &res->out,
						 SECRETCMD_MAX_OUTPUT, &over);
			else
				open_err = drain(err, &res->err,
						 SECRETCMD_MAX_STDERR, NULL);
		}
		if (over) {
			res->outcome = SECRETCMD_TOO_LARGE;
			break;
		}
		if (!exited && waitpid(pid, status, WNOHANG) == pid)
			exited = 1;
	}
	if (res->outcome != SECRETCMD_OK)
		kill(-pid, SIGKILL);
	if (!exited)
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
}

/* Judge what a finished command printed. */
static void judge(struct secretcmd_result *res, int status)
{
	struct buf *o = &res->out;

	if (WIFSIGNALED(status)) {
		res->outcome = SECRETCMD_SIGNAL;
		res->code = WTERMSIG(status);
	} else if (WIFEXITED(status) && WEXITSTATUS(status)) {
		res->outcome = SECRETCMD_EXIT;
		res->code = WEXITSTATUS(status);
	} else {
		if (o->len && o->s[o->len - 1] == '\n')
			o->len--;
		if (o->len && o->s[o->len - 1] == '\r')
			o->len--;
		buf_setlen(o, o->len);
		if (!o->len)
			res->outcome = SECRETCMD_EMPTY;
		else if (strlen(o->s) != o->len || !utf8_valid(o->s))
			res->outcome = SECRETCMD_NOT_UTF8;
	}
}

void secretcmd_run(const char *path, char *const argv[], double timeout,
		   struct secretcmd_result *res)
{
	int in = -1, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int report[2] = { -1, -1 }, status = 0, e = 0;
	char **env = child_env();
	pid_t pid;
	ssize_t n;

	secretcmd_result_init(res);
	res->timeout = timeout;
	/* room for all it may print: no realloc leaves a copy behind */
	buf_grow(&res->out, SECRETCMD_MAX_OUTPUT + 1);
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
	    pipe2(report, O_CLOEXEC)) {
		res->outcome = SECRETCMD_CANNOT_RUN;
		res->code = errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		res->outcome = SECRETCMD_CANNOT_RUN;
		res->code = errno;
		goto out;
	}
	if (!pid)
		child(path, argv, env, in, out[1], err[1], report[1]);
	/* both sides set the group, so kill(-pid) never misses it */
	setpgid(pid, pid);
	close(out[1]);
	close(err[1]);
	close(report[1]);
	out[1] = err[1] = report[1] = -1;
	do {
		n = read(report[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		res->outcome = SECRETCMD_CANNOT_RUN;
		res->code = e;
		goto out;
	}
	collect(pid, out[0], err[0], timeout, res, &status);
	if (res->outcome == SECRETCMD_OK)
		judge(res, status);
	if (res->outcome != SECRETCMD_OK) {
		secure_zero(res->out.s, res->out.alloc);
		buf_setlen(&res->out, 0);
	}
out:
	if (in >= 0)
		close(in);
	for (n = 0; n < 2; n++) {
		if (out[n] >= 0)
			close(out[n]);
		if (err[n] >= 0)
			close(err[n]);
		if (report[n] >= 0)
			close(report[n]);
	}
	free(env);
}

void secretcmd_describe(const struct secretcmd_result *r, const char *word,
			struct buf *out)
{
	switch (r->outcome) {
	case SECRETCMD_OK:
		buf_addf(out, "'%s' succeeded", word);
		break;
	case SECRETCMD_CANNOT_RUN:
		buf_addf(out, "cannot run '%s': %s", word, strerror(r->code));
		break;
	case SECRETCMD_EXIT:
		buf_addf(out, "'%s' exited with status %d", word, r->code);
		break;
	case SECRETCMD_SIGNAL:
		buf_addf(out, "'%s' was killed by signal %d (%s)", word,
			 r->code, strsignal(r->code));
		break;
	case SECRETCMD_TIMEOUT:
		buf_addf(out, "'%s' did not finish within %g s and was "
			 "killed (--secret-timeout)", word, r->timeout);
		break;
	case SECRETCMD_EMPTY:
		buf_addf(out, "'%s' printed nothing", word);
		break;
	case SECRETCMD_TOO_LARGE:
		buf_addf(out, "'%s' printed more than %u KiB and was killed",
			 word, SECRETCMD_MAX_OUTPUT >> 10);
		break;
	case SECRETCMD_NOT_UTF8:
		buf_addf(out, "'%s' printed something that is not UTF-8 text",
			 word);
		break;
	}
}

/* --- the run's answers ---------------------------------------------------- */

struct cache_entry {
	char *key;			/* the words, each ended by a NUL */
	size_t key_len;
	struct secretcmd_result *res;	/* NULL while running */
};

struct secretcmd_cache {
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct cache_entry *e;
	size_t nr, alloc, runs;
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};

struct secretcmd_cache *secretcmd_cache_new(void (*log)(void *ctx,
							const char *line),
					    void *log_ctx)
{
	struct secretcmd_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->done, NULL);
	c->log = log;
	c->log_ctx = log_ctx;
	return c;
}

void secretcmd_cache_free(struct secretcmd_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nr; i++) {
		free(c->e[i].key);
		secretcmd_result_release(c->e[i].res);
		free(c->e[i].res);
	}
	free(c->e);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

size_t secretcmd_cache_runs(struct secretcmd_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->runs;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* Lines of the command's stderr, for -v, as redact.h would show them. */
static void log_run(struct secretcmd_cache *c, const char *path,
		    const struct secretcmd_words *w,
		    const struct secretcmd_result *r)
{
	struct buf line = BUF_INIT, text = BUF_INIT, why = BUF_INIT;
	const char *secret[1];
	size_t secret_len[1];
	const char *p, *end;

	if (!c->log)
		return;
	secretcmd_describe(r, w->v[0], &why);
	buf_addf(&line, "secret command '%s' (%s): %s", w->v[0], path,
		 r->outcome == SECRETCMD_OK ? "ok" : why.s);
	c->log(c->log_ctx, line.s);
	secret[0] = r->out.s;
	secret_len[0] = r->out.len;
	redact_text(r->err.s, r->err.len, secret, secret_len,
		    r->out.len ? 1 : 0, &text);
	for (p = text.s; *p; p = *end ? end + 1 : end) {
		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		buf_reset(&line);
		buf_addf(&line, "secret command '%s' said: ", w->v[0]);
		buf_add(&line, p, (size_t)(end - p));
		c->log(c->log_ctx, line.s);
	}
	buf_release(&line);
	buf_release(&text);
	buf_release(&why);
}

const struct secretcmd_result *
secretcmd_cache_run(struct secretcmd_cache *c, const char *path,
		    const struct secretcmd_words *words, double timeout)
{
	struct buf key = BUF_INIT;
	struct secretcmd_result *res;
	size_t i, at;

	for (i = 0; i < words->nr; i++)
		buf_add(&key, words->v[i], strlen(words->v[i]) + 1);
	pthread_mutex_lock(&c->lock);
	for (at = 0; at < c->nr; at++)
		if (c->e[at].key_len == key.len &&
		    !memcmp(c->e[at].key, key.s, key.len))
			break;
	if (at < c->nr) {
		while (!c->e[at].res)
			pthread_cond_wait(&c->done, &c->lock);
		res = c->e[at].res;
		pthread_mutex_unlock(&c->lock);
		buf_release(&key);
		return res;
	}
	ALLOC_GROW(c->e, c->nr + 1, c->alloc);
	c->e[at].key_len = key.len;
	c->e[at].key = buf_detach(&key, NULL);
	c->e[at].res = NULL;
	c->nr++;
	c->runs++;
	pthread_mutex_unlock(&c->lock);

	res = xmalloc(sizeof(*res));
	secretcmd_run(path, words->v, timeout, res);
	log_run(c, path, words, res);

	pthread_mutex_lock(&c->lock);
	c->e[at].res = res;
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->lock);
	return res;
}

/* --- a document's commands ------------------------------------------------ */

void secretcmd_list_init(struct secretcmd_list *l)
{
	memset(l, 0, sizeof(*l));
}

void secretcmd_list_release(struct secretcmd_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nr; i++) {
		secretcmd_words_release(&l->items[i].words);
		free(l->items[i].path);
		free(l->items[i].where);
	}
	free(l->items);
	secretcmd_list_init(l);
}

static int same_words(const struct secretcmd_words *a,
		      const struct secretcmd_words *b)
{
	size_t i;

	if (a->nr != b->nr)
		return 0;
	for (i = 0; i < a->nr; i++)
		if (strcmp(a->v[i], b->v[i]))
			return 0;
	return 1;
}

size_t secretcmd_list_add(struct secretcmd_list *l,
			  struct secretcmd_words *words, char *path,
			  const struct mark *mark, const char *where)
{
	struct secretcmd *s;
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (same_words(&l->items[i].words, words)) {
			secretcmd_words_release(words);
			free(path);
			return i;
		}
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	s = &l->items[l->nr];
	memset(s, 0, sizeof(*s));
	s->words = *words;
	secretcmd_words_init(words);
	s->path = path;
	if (mark)
		s->mark = *mark;
	s->where = where && *where ? xstrdup(where) : NULL;
	return l->nr++;
}

/* Commands run at once, at most; more wait for a free thread. */
#define BATCH_THREADS 8

struct secretcmd_batch {
	struct secretcmd_list *l;
	struct secretcmd_cache *c;
	double timeout;
	pthread_mutex_t lock;
	size_t next;
	pthread_t threads[BATCH_THREADS];
	size_t started;
};

static void *batch_worker(void *arg)
{
	struct secretcmd_batch *b = arg;
	struct secretcmd *s;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&b->lock);
		i = b->next++;
		pthread_mutex_unlock(&b->lock);
		if (i >= b->l->nr)
			return NULL;
		s = &b->l->items[i];
		s->res = secretcmd_cache_run(b->c, s->path, &s->words,
					     b->timeout);
	}
}

struct secretcmd_batch *secretcmd_batch_start(struct secretcmd_list *l,
					      struct secretcmd_cache *c,
					      double timeout)
{
	struct secretcmd_batch *b = xcalloc(1, sizeof(*b));
	size_t i;

	b->l = l;
	b->c = c;
	b->timeout = timeout;
	pthread_mutex_init(&b->lock, NULL);
	for (i = 0; i < l->nr && i < BATCH_THREADS; i++) {
		if (pthread_create(&b->threads[b->started], NULL,
				   batch_worker, b))
			break;
		b->started++;
	}
	return b;
}

void secretcmd_batch_wait(struct secretcmd_batch *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->started; i++)
		pthread_join(b->threads[i], NULL);
	/* no thread could be had (or some ended early): the rest, here */
	batch_worker(b);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
