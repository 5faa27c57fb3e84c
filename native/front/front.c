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

/*
 * What Node acts on before a line of ours runs (bin/node-env.sh says why): the same list as
 * ond_drop_node_env's, which test/unit/node-env-lists.test.ts holds equal.
 */
static const char *const NODE_ENV_PREFIXES[] = {"NODE_", "UV_"};
static const char *const NODE_ENV_NAMES[] = {"OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES", "SSL_CERT_FILE", "SSL_CERT_DIR"};

static int node_acts_on(const char *entry) {
  const char *eq = strchr(entry, '=');
  size_t len = eq != NULL ? (size_t)(eq - entry) : strlen(entry);
  for (size_t i = 0; i < sizeof NODE_ENV_PREFIXES / sizeof *NODE_ENV_PREFIXES; i++)
    if (strncmp(entry, NODE_ENV_PREFIXES[i], strlen(NODE_ENV_PREFIXES[i])) == 0) return 1;
  for (size_t i = 0; i < sizeof NODE_ENV_NAMES / sizeof *NODE_ENV_NAMES; i++)
    if (strlen(NODE_ENV_NAMES[i]) == len && strncmp(entry, NODE_ENV_NAMES[i], len) == 0) return 1;
  return 0;
}

char **env_for_node(void) {
  size_t n = 0;
  while (environ[n] != NULL) n++;
  char **out = calloc(n + 1, sizeof *out);
  if (out == NULL) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!node_acts_on(environ[i])) out[k++] = environ[i];
  out[k] = NULL;
  return out;
}

void exec_node_entry(const char *script, char **argv, const char *who) {
  char root[PATH_MAX], entry[PATH_MAX], shown[PATH_MAX];
  if (package_root(root, sizeof root) != 0 || snprintf(entry, sizeof entry, "%s/bin/%s.cjs", root, script) >= (int)sizeof entry ||
      snprintf(shown, sizeof shown, "%s/bin/%s", root, script) >= (int)sizeof shown) {
    fprintf(stderr, "%s: cannot find the package root from /proc/self/exe\n", who);
    return;
  }
  char **env = env_for_node();
  size_t argc = 0;
  while (argv[argc] != NULL) argc++;
  char **args = calloc(argc + 3, sizeof *args);
  if (env == NULL || args == NULL) {
    fprintf(stderr, "%s: out of memory\n", who);
    return;
  }
  /* As bin/<script> runs it: node <entry>.cjs <the script's path> <arguments...> */
  args[0] = "node";
  args[1] = entry;
  args[2] = shown;
  for (size_t i = 1; i < argc; i++) args[i + 2] = argv[i];
  environ = env; /* execvp looks node up on this PATH, the caller's, as the script's `exec node` */
  execvp("node", args);
  fprintf(stderr, "%s: cannot run node (%s) on PATH: %s\n", who, entry, strerror(errno));
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
