#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "simproc.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

#define PREFIX "torq-sim listening on http://127.0.0.1:"
#define MAX_ARGS 64

int simproc_start(struct simproc *p, const char *bin,
		  const char *const *args)
{
	const char *argv[MAX_ARGS];
	const char *vg = getenv("VALGRIND");
	char *vgcopy = NULL, *word, line[256];
	size_t n = 0, len = 0;
	int fds[2], ret = -1;
	long port;

	memset(p, 0, sizeof(*p));
	if (vg && *vg) {
		vgcopy = xstrdup(vg);
		for (word = vgcopy; *word && n < MAX_ARGS / 2;) {
			size_t w = strcspn(word, " \t");

			if (w)
				argv[n++] = word;
			word += w;
			if (*word)
				*word++ = '\0';
		}
	}
	argv[n++] = bin;
	argv[n++] = "--port";
	argv[n++] = "0";
	while (args && *args && n < MAX_ARGS - 1)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(fds))
		goto out;
	p->pid = fork();
	if (p->pid < 0)
		goto out;
	if (!p->pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while (len < sizeof(line) - 1) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		ssize_t r;

		if (poll(&pfd, 1, 60000) <= 0)
			break;
		r = read(fds[0], line + len, 1);
		if (r <= 0)
			break;
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	close(fds[0]);
	if (strncmp(line, PREFIX, strlen(PREFIX)) ||
	    parse_long(line + strlen(PREFIX), 1, 65535, &port)) {
		fprintf(stderr, "simproc: '%s' did not start: '%s'\n", bin,
			line);
		simproc_stop(p, SIGKILL);
		goto out;
	}
	p->port = (unsigned)port;
	snprintf(p->base, sizeof(p->base), "http://127.0.0.1:%u", p->port);
	ret = 0;
out:
	free(vgcopy);
	return ret;
}

int simproc_stop(struct simproc *p, int sig)
{
	int status;

	if (p->pid <= 0)
		return -1;
	kill(p->pid, sig);
	while (waitpid(p->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	p->pid = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}
