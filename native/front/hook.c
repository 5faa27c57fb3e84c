/*
 * bin/oci-netdevices-hook: the hook's native front door. Same command line and environment as
 * `bin/oci-netdevices hook createRuntime|poststop`. With the daemon (`oci-netdevices daemon`)
 * listening, forwards argv, the OCI_NETDEVICES_* variables and PATH, stdin and the cwd
 * (protocol: src/daemon/protocol.ts), relays SIGTERM/SIGINT, then writes the daemon's stderr text
 * and exits with its code. Without a daemon (no socket, connection refused, anything that stops
 * the connect), becomes bin/oci-netdevices with the same argv (exec_node_entry: node directly, the
 * launcher's environment choice made here): the Node hook decides everything.
 *
 * The socket: $OCI_NETDEVICES_DAEMON_SOCKET, else daemon.sock in the state directory
 * (--state-dir, else $OCI_NETDEVICES_STATE_DIR, else /run/oci-netdevices), as the daemon's default.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "front.h"

#define WHO "oci-netdevices"
#define MAGIC "ond1"
#define SOCKET_NAME "daemon.sock" /* src/daemon/protocol.ts DAEMON_SOCKET_NAME */
#define DEFAULT_STATE_DIR "/run/oci-netdevices" /* src/state/state-dir.ts */
#define MAX_REQUEST (4u << 20) /* src/daemon/protocol.ts MAX_REQUEST */

extern char **environ;

static volatile sig_atomic_t pending_term, pending_int;
static void on_signal(int sig) {
  if (sig == SIGTERM) pending_term = 1;
  else pending_int = 1;
}

struct buf {
  char *data;
  size_t len, cap;
};

static int put(struct buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    char *d = realloc(b->data, cap);
    if (d == NULL) return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}
static int put_field(struct buf *b, const char *s) { return put(b, s, strlen(s) + 1); }
static int put_number(struct buf *b, long long v) {
  char n[32];
  snprintf(n, sizeof n, "%lld", v);
  return put_field(b, n);
}

static const char *socket_path(int argc, char **argv, char *out, size_t size) {
  const char *s = getenv("OCI_NETDEVICES_DAEMON_SOCKET");
  if (s != NULL && s[0] != '\0') return s;
  const char *dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc) dir = argv[++i];
    else if (strncmp(argv[i], "--state-dir=", 12) == 0) dir = argv[i] + 12;
  }
  if (dir == NULL) {
    const char *e = getenv("OCI_NETDEVICES_STATE_DIR");
    dir = e != NULL && e[0] != '\0' ? e : DEFAULT_STATE_DIR;
  }
  if (snprintf(out, size, "%s/%s", dir, SOCKET_NAME) >= (int)size) return NULL;
  return out;
}

static int connect_daemon(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (path == NULL || strlen(path) >= sizeof addr.sun_path) return -1;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  while (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (errno == EINTR) continue;
    close(fd);
    return -1;
  }
  return fd;
}

/* The Node hook, with what we read of stdin (if anything) given back as its stdin. */
static void fall_back(char **argv, const struct buf *in) {
  if (in != NULL) {
    int m = memfd_create("oci-netdevices-stdin", 0);
    if (m < 0 || write_all(m, in->data, in->len) != 0 || lseek(m, 0, SEEK_SET) != 0 || dup2(m, 0) < 0) {
      fprintf(stderr, WHO ": cannot hand stdin to the Node hook: %s\n", strerror(errno));
      exit(1);
    }
    close(m);
  }
  exec_node_entry("oci-netdevices", argv, WHO);
  exit(1);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  long long started = now_ms();
  char pathbuf[4096];
  int fd = connect_daemon(socket_path(argc, argv, pathbuf, sizeof pathbuf));
  if (fd < 0) fall_back(argv, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct buf in = {0};
  for (;;) {
    char chunk[65536];
    ssize_t r = read(0, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break; /* no stdin (closed): the hook reports the empty state */
    if (r == 0) break;
    if (in.len + (size_t)r > MAX_REQUEST || put(&in, chunk, (size_t)r) != 0) {
      fprintf(stderr, WHO ": container state on stdin is larger than %u bytes\n", MAX_REQUEST);
      return 1;
    }
  }

  struct buf req = {0};
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == NULL) strcpy(cwd, "/");
  int envc = 0;
  for (char **e = environ; *e != NULL; e++)
    if (strncmp(*e, "OCI_NETDEVICES_", 15) == 0 || strncmp(*e, "PATH=", 5) == 0) envc++;
  int bad = put(&req, "\0\0\0\0", 4) || put_field(&req, MAGIC) || put_field(&req, cwd) || put_number(&req, started) || put_number(&req, argc - 1);
  for (int i = 1; i < argc && !bad; i++) bad = put_field(&req, argv[i]);
  bad = bad || put_number(&req, envc);
  for (char **e = environ; *e != NULL && !bad; e++)
    if (strncmp(*e, "OCI_NETDEVICES_", 15) == 0 || strncmp(*e, "PATH=", 5) == 0) bad = put_field(&req, *e);
  bad = bad || (in.len > 0 && put(&req, in.data, in.len));
  if (bad || req.len - 4 > MAX_REQUEST) {
    fprintf(stderr, WHO ": request too large for the daemon\n");
    return 1;
  }
  uint32_t n = (uint32_t)(req.len - 4);
  unsigned char len[4] = {n >> 24, n >> 16, n >> 8, n};
  memcpy(req.data, len, 4);
  /* Until the request is sent, the daemon has done nothing: the Node hook can still take over. */
  if (write_all(fd, req.data, req.len) != 0) {
    close(fd);
    fall_back(argv, &in);
  }

  /* From here a signal is the daemon's to act on (roll back): relay it and keep waiting for the answer. */
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  struct buf ans = {0};
  for (;;) {
    if (pending_term || pending_int) {
      char c = pending_term ? 'T' : 'I';
      pending_term = pending_int = 0;
      (void)write_all(fd, &c, 1);
    }
    char chunk[65536];
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (ans.len + (size_t)r > MAX_REQUEST || put(&ans, chunk, (size_t)r) != 0) break;
    if (ans.len >= 4) {
      const unsigned char *l = (const unsigned char *)ans.data;
      uint32_t want = (uint32_t)l[0] << 24 | (uint32_t)l[1] << 16 | (uint32_t)l[2] << 8 | l[3];
      if (ans.len >= 4 + (size_t)want) {
        ans.len = 4 + want;
        break;
      }
    }
  }
  size_t mlen = strlen(MAGIC) + 1;
  const unsigned char *l = (const unsigned char *)ans.data;
  uint32_t want = ans.len >= 4 ? ((uint32_t)l[0] << 24 | (uint32_t)l[1] << 16 | (uint32_t)l[2] << 8 | l[3]) : 0;
  if (ans.len < 4 || ans.len != 4 + (size_t)want || want < mlen + 2 || memcmp(ans.data + 4, MAGIC, mlen) != 0) {
    fprintf(stderr, WHO ": the daemon closed the connection before answering (see its log); what it had moved is recovered by the next hook or `oci-netdevices recover`\n");
    return 1;
  }
  char *p = ans.data + 4 + mlen, *end = ans.data + ans.len;
  char *nul = memchr(p, '\0', (size_t)(end - p));
  if (nul == NULL) {
    fprintf(stderr, WHO ": malformed answer from the daemon\n");
    return 1;
  }
  if (strcmp(p, "node") == 0) {
    close(fd);
    fall_back(argv, &in);
  }
  int code = atoi(p);
  char *text = nul + 1;
  if (end > text) (void)write_all(2, text, (size_t)(end - text));
  return code;
}
