#ifndef TORQ_SECRETCMD_H
#define TORQ_SECRETCMD_H

#include <stddef.h>

#include "torq/buf.h"
#include "torq/diag.h"

/*
 * ${secret:cmd:COMMAND ARGS...}: a secret that a program prints, as
 * `pass show`, `vault kv get` or `op read` do (README, "Secrets from a
 * command"). This module splits the command into words, finds the
 * program, runs it with no shell, and keeps each distinct command's
 * answer for the whole run, a fleet's clients included. It never prints.
 *
 * Words (secretcmd_split), with no shell involved:
 *   - spaces, tabs and line breaks separate words;
 *   - '...' groups its text as written (no escapes inside);
 *   - "..." groups its text; inside, \" stands for " and \\ for \, any
 *     other backslash is kept as written;
 *   - outside quotes, a backslash makes the next character part of the
 *     word (\  is a space, \' a quote);
 *   - quotes join what touches them: a'b c'd is the one word "ab cd",
 *     and '' is an empty word;
 *   - an unterminated quote, or a backslash at the very end, is an
 *     error; so is a command of no words.
 * Nothing else is special: no $, *, ~, ;, | or redirection.
 */

struct secretcmd_words {
	char **v;			/* v[nr] is NULL, as execve wants */
	size_t nr, alloc;
};

void secretcmd_words_init(struct secretcmd_words *w);
void secretcmd_words_release(struct secretcmd_words *w);

/*
 * Split text into w (empty on entry). Returns 0, or -1 with a message
 * in err ("unterminated double quote in ..."), w then being empty.
 */
int secretcmd_split(const char *text, struct secretcmd_words *w,
		    struct buf *err);

/*
 * The program a command's first word names: a word holding '/' as it is,
 * else the first executable file of that name in the directories of
 * path_env (as $PATH: ':'-separated, an empty entry meaning the current
 * directory; NULL means "/usr/local/bin:/usr/bin:/bin"). Returns 0 with
 * the path appended to out, or -1 when there is no such program.
 */
int secretcmd_find(const char *word, const char *path_env, struct buf *out);

/* The most a command may print on standard output: 64 KiB. */
#define SECRETCMD_MAX_OUTPUT (64u << 10)
/* What is kept of its standard error (the rest is read and dropped). */
#define SECRETCMD_MAX_STDERR (4u << 10)
/* --secret-timeout's default and largest values, in seconds. */
#define SECRETCMD_DEFAULT_TIMEOUT 30.0
#define SECRETCMD_MAX_TIMEOUT 3600.0

enum secretcmd_outcome {
	SECRETCMD_OK,
	SECRETCMD_CANNOT_RUN,		/* code: errno of execve or fork */
	SECRETCMD_EXIT,			/* code: the non-zero exit status */
	SECRETCMD_SIGNAL,		/* code: the signal */
	SECRETCMD_TIMEOUT,		/* killed after the timeout */
	SECRETCMD_EMPTY,		/* printed nothing (but a newline) */
	SECRETCMD_TOO_LARGE,		/* over SECRETCMD_MAX_OUTPUT */
	SECRETCMD_NOT_UTF8,		/* not UTF-8, or a NUL byte */
};

struct secretcmd_result {
	enum secretcmd_outcome outcome;
	int code;
	double timeout;			/* what the run allowed, seconds */
	/*
	 * The secret (SECRETCMD_OK only), one trailing line break dropped;
	 * wiped by secretcmd_result_release.
	 */
	struct buf out;
	/* Its standard error (first SECRETCMD_MAX_STDERR bytes), raw. */
	struct buf err;
};

void secretcmd_result_init(struct secretcmd_result *r);
void secretcmd_result_release(struct secretcmd_result *r);

/*
 * Run program path with argv (argv[0] is the word as written) and wait
 * for it, at most timeout seconds. No shell; standard input is
 * /dev/null; the environment is this process's without torq-apply's own
 * credentials (TORQ_CLIENT_ID, TORQ_CLIENT_SECRET); the program gets no
 * other descriptor of ours, and runs in a process group of its own, which
 * is killed (SIGKILL) on timeout or when it prints too much. The child is
 * always reaped. Safe to call from several threads at once. The outcome
 * is in res (initialised here); release it.
 */
void secretcmd_run(const char *path, char *const argv[], double timeout,
		   struct secretcmd_result *res);

/*
 * Why a run failed, without its output: "'pass' exited with status 1",
 * "'vault' was killed by signal 9 (Killed)", "'op' timed out after 30
 * s", ... word is the command's first word.
 */
void secretcmd_describe(const struct secretcmd_result *r, const char *word,
			struct buf *out);

/*
 * The answers of one run: each distinct command (by its words) runs once,
 * whoever asks first runs it, the others wait for its answer. Thread-safe,
 * so a fleet's clients share one. log (may be NULL) hears, once per
 * command run, the program's path and its standard error (each line
 * redacted: the command's own output and what redact.h hides never show).
 */
struct secretcmd_cache;

struct secretcmd_cache *secretcmd_cache_new(void (*log)(void *ctx,
							const char *line),
					    void *log_ctx);
/* Wipes every answer. Accepts NULL. */
void secretcmd_cache_free(struct secretcmd_cache *c);
/*
 * The answer to words (run as program path), borrowed from the cache
 * until secretcmd_cache_free. Runs the command when no one has yet.
 */
const struct secretcmd_result *
secretcmd_cache_run(struct secretcmd_cache *c, const char *path,
		    const struct secretcmd_words *words, double timeout);
/* How many commands the cache ran (tests, and the log). */
size_t secretcmd_cache_runs(struct secretcmd_cache *c);

/*
 * The distinct commands a document names, each with its program and the
 * first place that names it (mark.file borrowed from the doc).
 */
struct secretcmd {
	struct secretcmd_words words;
	char *path;			/* the program, secretcmd_find's */
	struct mark mark;
	char *where;			/* its key path, or NULL */
	const struct secretcmd_result *res;	/* after the batch ran */
};

struct secretcmd_list {
	struct secretcmd *items;
	size_t nr, alloc;
};

void secretcmd_list_init(struct secretcmd_list *l);
void secretcmd_list_release(struct secretcmd_list *l);
/*
 * The index of the command of these words, added (words and path stolen,
 * mark and where copied) when new; when not, words and path are released.
 */
size_t secretcmd_list_add(struct secretcmd_list *l,
			  struct secretcmd_words *words, char *path,
			  const struct mark *mark, const char *where);

/*
 * Running a list's commands in the background while the run reads the
 * workspace: secretcmd_batch_start starts them (on threads, all at once,
 * through the cache) and returns; secretcmd_batch_wait waits for every
 * one, after which each item's res is set. A batch that could get no
 * thread runs its commands in secretcmd_batch_wait.
 */
struct secretcmd_batch;

struct secretcmd_batch *secretcmd_batch_start(struct secretcmd_list *l,
					      struct secretcmd_cache *c,
					      double timeout);
/* Waits, then frees the batch. Accepts NULL. */
void secretcmd_batch_wait(struct secretcmd_batch *b);

#endif
