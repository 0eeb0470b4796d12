/* A loopback server of canned answers: see canned.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "canned.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

#define CANNED_MAX_LOG 64

struct canned {
	const struct canned_answer *answers;
	size_t nr;
	int fd;
	int stop;
	char url[64];
	pthread_t thread;
	pthread_mutex_t lock;
	size_t served;
	char log[CANNED_MAX_LOG][160];
};

/* Read a request: its head, then Content-Length bytes of body. */
static void read_request(int fd, char *line, size_t linesz)
{
	char buf[16384];
	size_t len = 0, want = 0, head;
	ssize_t n;
	char *end, *cl;

	line[0] = '\0';
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end || len == sizeof(buf) - 1)
			break;
	}
	if (!end)
		return;
	head = (size_t)(end - buf) + 4;
	snprintf(line, linesz, "%.*s", (int)strcspn(buf, "\r\n"), buf);
	cl = strstr(buf, "\r\nContent-Length:");
	if (cl && cl < end)
		want = strtoul(cl + 17, NULL, 10);
	while (len - head < want && len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return;
		len += (size_t)n;
	}
}

static void write_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void *serve(void *arg)
{
	struct canned *c = arg;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	struct canned_answer a;
	char head[256], line[160];
	size_t i;
	int fd;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		if (c->stop) {
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		pthread_mutex_unlock(&c->lock);
		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(c->fd, NULL, NULL);
		if (fd < 0)
			continue;
		read_request(fd, line, sizeof(line));
		pthread_mutex_lock(&c->lock);
		i = c->served++;
		if (i < CANNED_MAX_LOG)
			snprintf(c->log[i], sizeof(c->log[i]), "%s", line);
		pthread_mutex_unlock(&c->lock);
		if (i < c->nr) {
			a = c->answers[i];
		} else {
			a.status = 404;
			a.body = "{\"code\": 5, \"message\": \"no more answers\"}";
		}
		snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n"
			 "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 a.status, strlen(a.body));
		write_all(fd, head, strlen(head));
		write_all(fd, a.body, strlen(a.body));
		close(fd);
	}
}

struct canned *canned_start(const struct canned_answer *answers, size_t nr)
{
	struct canned *c = xcalloc(1, sizeof(*c));
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	c->answers = answers;
	c->nr = nr;
	pthread_mutex_init(&c->lock, NULL);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(c->fd, 16) ||
	    getsockname(c->fd, (struct sockaddr *)&sa, &sl)) {
		perror("canned");
		abort();
	}
	snprintf(c->url, sizeof(c->url), "http://127.0.0.1:%u",
		 (unsigned)ntohs(sa.sin_port));
	if (pthread_create(&c->thread, NULL, serve, c))
		abort();
	return c;
}

const char *canned_url(const struct canned *c)
{
	return c->url;
}

size_t canned_requests(struct canned *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->served;
	pthread_mutex_unlock(&c->lock);
	return n;
}

const char *canned_request(struct canned *c, size_t i)
{
	return i < CANNED_MAX_LOG && i < canned_requests(c) ? c->log[i] : "";
}

void canned_stop(struct canned *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	close(c->fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
