#define _GNU_SOURCE
#include "front.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int package_root(char *out, size_t size) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  /* <root>/build/Release/<name>: three components up. */
  for (int up = 0; up < 3; up++) {
    char *slash = strrchr(exe, '/');
    if (slash == NULL) return -1;
    *slash = '\0';
  }
  if (exe[0] == '\0' || strlen(exe) + 1 > size) return -1;
  memcpy(out, exe, strlen(exe) + 1);
  return 0;
}

char **env_without_node(void) {
  size_t n = 0;
  while (environ[n] != NULL) n++;
  char **out = calloc(n + 1, sizeof *out);
  if (out == NULL) return environ;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "NODE_", 5) != 0) out[k++] = environ[i];
  out[k] = NULL;
  return out;
}

void exec_node_script(const char *script, char **argv, char **env, const char *who) {
  char root[PATH_MAX], path[PATH_MAX];
  if (package_root(root, sizeof root) != 0 || snprintf(path, sizeof path, "%s/bin/%s", root, script) >= (int)sizeof path) {
    fprintf(stderr, "%s: cannot find the package root from /proc/self/exe\n", who);
    return;
  }
  execve(path, argv, env);
  fprintf(stderr, "%s: cannot run %s: %s\n", who, path, strerror(errno));
}

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}
