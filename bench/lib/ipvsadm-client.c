/*
 * The bench's fast ipvsadm: a thin client of bench/lib/standin-server.js, which runs the stand-in
 * (test/bin/ipvsadm) in one long-lived Node process. Same program text, state file, log and
 * output as the stand-in; what goes away is Node's start-up per invocation (~50-150 ms), which
 * would otherwise dominate every figure that involves the driver (ldirectord runs three ipvsadm
 * processes per change). The real ipvsadm is a small C program that starts in about a millisecond.
 *
 * Request on $LVSD_BENCH_IPVSADM_SOCK (a unix stream socket):
 *   "<pid>\0<LVSD_IPVS_STATE>\0<argc>\0<argv[0]>\0...<argv[argc-1]>\0" then, for -R only, stdin;
 *   then shutdown(SHUT_WR).
 * Answer: 4-byte big-endian exit status, 4-byte length + stdout, 4-byte length + stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what) {
	fprintf(stderr, "ipvsadm (bench client): %s: %s\n", what, strerror(errno));
	exit(111);
}

static void put(int fd, const void *buf, size_t n) {
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR) continue;
			die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

static void get(int fd, void *buf, size_t n) {
	char *p = buf;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) {
			errno = r == 0 ? EPIPE : errno;
			die("read answer");
		}
		p += r;
		n -= (size_t)r;
	}
}

static uint32_t get32(int fd) {
	unsigned char b[4];
	get(fd, b, 4);
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* Copy `len` bytes of the answer to `out`. */
static void relay(int fd, int out, uint32_t len) {
	char buf[65536];
	while (len > 0) {
		size_t n = len < sizeof buf ? len : sizeof buf;
		get(fd, buf, n);
		put(out, buf, n);
		len -= (uint32_t)n;
	}
}

/* The stand-in's test for a restore: -R, --restore, or -R inside a bundle of short options. */
static int is_restore(const char *a) {
	if (strcmp(a, "-R") == 0 || strcmp(a, "--restore") == 0) return 1;
	if (a[0] != '-' || a[1] == '-') return 0;
	for (const char *p = a + 1; *p; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))) return 0;
		if (*p == 'R') return 1;
	}
	return 0;
}

int main(int argc, char **argv) {
	const char *path = getenv("LVSD_BENCH_IPVSADM_SOCK");
	const char *state = getenv("LVSD_IPVS_STATE");
	if (!path) {
		fprintf(stderr, "ipvsadm (bench client): LVSD_BENCH_IPVSADM_SOCK is not set\n");
		return 111;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "ipvsadm (bench client): socket path too long\n");
		return 111;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");

	char head[64];
	int n = snprintf(head, sizeof head, "%ld", (long)getpid());
	put(fd, head, (size_t)n + 1);
	put(fd, state ? state : "", strlen(state ? state : "") + 1);
	n = snprintf(head, sizeof head, "%d", argc);
	put(fd, head, (size_t)n + 1);
	int restore = 0;
	for (int i = 0; i < argc; i++) {
		put(fd, argv[i], strlen(argv[i]) + 1);
		if (i > 0 && is_restore(argv[i])) restore = 1;
	}
	if (restore) {
		char buf[65536];
		for (;;) {
			ssize_t r = read(0, buf, sizeof buf);
			if (r < 0 && errno == EINTR) continue;
			if (r <= 0) break;
			put(fd, buf, (size_t)r);
		}
	}
	shutdown(fd, SHUT_WR);

	uint32_t code = get32(fd);
	relay(fd, 1, get32(fd));
	relay(fd, 2, get32(fd));
	return (int)(code & 255);
}
