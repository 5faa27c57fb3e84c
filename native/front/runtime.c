/*
 * bin/oci-netdevices-runtime: the wrapper's native front door. Calls that certainly need nothing
 * from us become the real runtime here (execve, no Node started); every other call, and every call
 * this file is not sure about, goes to the Node wrapper (bin/oci-netdevices-runtime-node, which
 * decides exactly, as src/runtime/entry.ts documents). Sure means:
 *  - the subcommand is not create, run or delete;
 *  - create/run whose config.json mentions no "netdevice" (every key that asks for devices holds
 *    it: linux.netDevices, oci-netdevices.io/devices and /cni, the NRI keys) and has no \u escape
 *    (which could spell one);
 *  - delete of a container the state directory knows nothing about.
 * The real runtime is chosen by the rules of src/runtime/real-runtime.ts (flag, environment,
 * invoked name, /etc/oci-netdevices/runtime.json, runc); a runtime.json this file cannot read
 * plainly (escapes, non-string values) or a runtime not found also go to Node, which reports.
 * OCI_NETDEVICES_WRAPPER_EXPLAIN=1 prints the decision instead of acting on it (tests).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "front.h"

#define WHO "oci-netdevices-runtime"
#define RUNTIME_FLAG "oci-netdevices-runtime" /* src/runtime/argv.ts RUNTIME_FLAG */
#define RUNTIME_CONFIG "/etc/oci-netdevices/runtime.json" /* src/runtime/wrapper-config.ts */
#define DEFAULT_STATE_DIR "/run/oci-netdevices" /* src/state/state-dir.ts */
#define MAX_CONFIG (16u << 20)

extern char **environ;

static int explain;
static char **orig_argv;
static int orig_argc;
static const char *invoked_as;

/* Hand the call to the Node wrapper: `oci-netdevices-runtime-node <path we were run as> <args...>`. */
static void to_node(const char *why) {
  if (explain) {
    printf("node %s\n", why);
    exit(0);
  }
  char **argv = calloc((size_t)orig_argc + 2, sizeof *argv);
  if (argv == NULL) exit(1);
  argv[0] = "oci-netdevices-runtime-node";
  argv[1] = (char *)invoked_as;
  for (int i = 1; i < orig_argc; i++) argv[i + 1] = orig_argv[i];
  /* The whole environment: the Node launcher keeps NODE_* aside and gives them back to the real runtime. */
  exec_node_script("oci-netdevices-runtime-node", argv, environ, WHO);
  exit(1);
}

/* src/runtime/argv.ts: global options that take a value. */
static int global_with_value(const char *name, size_t len) {
  static const char *const names[] = {"root", "log", "log-format", "criu", "rootless", "cgroup-manager"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0) return 1;
  return 0;
}

/* An option's name (without dashes, up to '=') and whether a value is inline; 0 for a positional. */
static int flag_of(const char *a, const char **name, size_t *len, int *inline_value) {
  if (a[0] != '-' || strcmp(a, "-") == 0 || strcmp(a, "--") == 0) return 0;
  const char *body = a[1] == '-' ? a + 2 : a + 1;
  const char *eq = strchr(body, '=');
  *name = body;
  *len = eq != NULL ? (size_t)(eq - body) : strlen(body);
  *inline_value = eq != NULL;
  return 1;
}

static int is_container_id(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > 128 || !isalnum((unsigned char)id[0]) || strstr(id, "..") != NULL) return 0;
  for (size_t i = 1; i < n; i++)
    if (!isalnum((unsigned char)id[i]) && strchr("_.+-", id[i]) == NULL) return 0;
  return 1;
}

static char *read_file(const char *path, size_t *len) {
  /* O_NONBLOCK: a fifo in place of config.json must not hang us (Node then reports it). */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_CONFIG) {
    close(fd);
    return NULL;
  }
  char *data = malloc((size_t)st.st_size + 1);
  size_t got = 0;
  while (data != NULL && got < (size_t)st.st_size) {
    ssize_t r = read(fd, data + got, (size_t)st.st_size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  if (data == NULL || got != (size_t)st.st_size) {
    free(data);
    return NULL;
  }
  data[got] = '\0';
  *len = got;
  return data;
}

/* runtime.json: a flat object of plain strings, or Node reads it. */
struct wrapper_config {
  char *runtime, *state_dir;
};

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

/* A string without escapes at p (at its opening quote); NULL when not that. */
static const char *plain_string(const char *p, char **out) {
  if (*p != '"') return NULL;
  const char *end = p + 1;
  while (*end != '"' && *end != '\0') {
    if (*end == '\\' || (unsigned char)*end < 0x20) return NULL;
    end++;
  }
  if (*end != '"') return NULL;
  *out = strndup(p + 1, (size_t)(end - p - 1));
  return end + 1;
}

static void read_wrapper_config(struct wrapper_config *c) {
  size_t len;
  char *text = read_file(RUNTIME_CONFIG, &len);
  if (text == NULL) {
    if (access(RUNTIME_CONFIG, F_OK) != 0 && errno == ENOENT) return;
    to_node("runtime.json unreadable here");
  }
  if (strlen(text) != len) to_node("runtime.json holds a NUL");
  const char *p = skip_ws(text);
  if (*p++ != '{') to_node("runtime.json is not a plain object");
  p = skip_ws(p);
  if (*p == '}') p++;
  else
    for (;;) {
      char *key, *value;
      p = plain_string(skip_ws(p), &key);
      if (p == NULL) to_node("runtime.json key not plain");
      p = skip_ws(p);
      if (*p++ != ':') to_node("runtime.json syntax");
      p = plain_string(skip_ws(p), &value);
      if (p == NULL) to_node("runtime.json value not a plain string");
      if (value[0] == '\0') to_node("runtime.json empty value");
      if (strcmp(key, "runtime") == 0) c->runtime = value;
      else if (strcmp(key, "stateDir") == 0) {
        if (value[0] != '/') to_node("runtime.json stateDir not absolute");
        c->state_dir = value;
      } else if (strcmp(key, "logFile") != 0 && strcmp(key, "cniPath") != 0) to_node("runtime.json has other keys");
      free(key);
      p = skip_ws(p);
      if (*p == ',') {
        p++;
        continue;
      }
      if (*p++ != '}') to_node("runtime.json syntax");
      break;
    }
  if (*skip_ws(p) != '\0') to_node("runtime.json trailing text");
  free(text);
}

static const char *nonempty_env(const char *name) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' ? v : NULL;
}

/* src/runtime/real-runtime.ts chooseRuntime. */
static const char *choose_runtime(const char *from_flag, const struct wrapper_config *c) {
  if (from_flag != NULL && from_flag[0] != '\0') return from_flag;
  const char *e = nonempty_env("OCI_NETDEVICES_RUNTIME");
  if (e != NULL) return e;
  const char *base = strrchr(invoked_as, '/');
  base = base != NULL ? base + 1 : invoked_as;
  if (strncmp(base, "oci-netdevices-", 15) == 0 && base[15] != '\0' && strcmp(base + 15, "runtime") != 0) return base + 15;
  return c->runtime != NULL ? c->runtime : "runc";
}

/* src/runtime/real-runtime.ts resolveExecutable: executable, and not this wrapper. */
static int usable(const char *p, const char *self) {
  if (access(p, X_OK) != 0) return 0;
  char rp[PATH_MAX];
  const char *r = realpath(p, rp) != NULL ? rp : p;
  return strcmp(r, self) != 0;
}

static char *resolve_executable(const char *name) {
  char self[PATH_MAX];
  if (realpath(invoked_as, self) == NULL) snprintf(self, sizeof self, "%s", invoked_as);
  if (strchr(name, '/') != NULL) {
    if (name[0] != '/') to_node("relative runtime path");
    if (!usable(name, self)) to_node("runtime not usable");
    return strdup(name);
  }
  const char *path = getenv("PATH");
  size_t plen = path != NULL ? strlen(path) : 0;
  char *dirs = malloc(plen + 80);
  if (dirs == NULL) to_node("memory");
  snprintf(dirs, plen + 80, "%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", path != NULL ? path : "");
  for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
    if (d[0] != '/') continue;
    size_t dl = strlen(d);
    while (dl > 1 && d[dl - 1] == '/') d[--dl] = '\0';
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/%s", dl == 1 ? "" : d, name) >= (int)sizeof p) continue;
    if (usable(p, self)) return strdup(p);
  }
  to_node("runtime not found");
  return NULL;
}

/* src/runtime/state-probe.ts wrapperStateDir + hasStateFor. */
static int has_state_for(const char *id, const struct wrapper_config *c) {
  if (!is_container_id(id)) return 0;
  const char *e = getenv("OCI_NETDEVICES_STATE_DIR");
  const char *root = e != NULL && e[0] == '/' ? e : c->state_dir != NULL ? c->state_dir : DEFAULT_STATE_DIR;
  char p[PATH_MAX];
  struct stat st;
  snprintf(p, sizeof p, "%s/containers/%s", root, id);
  if (stat(p, &st) == 0 || errno != ENOENT) return 1;
  snprintf(p, sizeof p, "%s/status/%s.json", root, id);
  return stat(p, &st) == 0 || errno != ENOENT;
}

/* create/run: options with a value and one-letter aliases (src/runtime/argv.ts). */
static int create_with_value(const char *n, size_t len, const char **which) {
  static const char *const names[] = {"bundle", "console-socket", "pid-file", "preserve-fds", "config"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strlen(names[i]) == len && strncmp(names[i], n, len) == 0) {
      *which = names[i];
      return 1;
    }
  return 0;
}
static int create_long(const char *n, size_t len) {
  static const char *const names[] = {"bundle", "console-socket", "pid-file", "preserve-fds", "config", "detach", "keep", "no-pivot", "no-new-keyring", "no-subreaper", "help"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strlen(names[i]) == len && strncmp(names[i], n, len) == 0) return 1;
  return 0;
}

/* Does config.json certainly ask for nothing? */
static int config_asks_nothing(char **args, int from, int n) {
  const char *bundle = NULL, *config = NULL;
  for (int j = from; j < n; j++) {
    const char *a = args[j];
    if (strcmp(a, "--") == 0) break;
    if (a[0] != '-' || strcmp(a, "-") == 0) continue;
    int dashes = a[1] == '-' ? 2 : 1;
    const char *body = a + dashes, *eq = strchr(body, '=');
    size_t len = eq != NULL ? (size_t)(eq - body) : strlen(body);
    const char *inl = eq != NULL ? eq + 1 : NULL;
    const char *which = NULL;
    if (len == 1) {
      if (body[0] == 'b') which = "bundle";
      else if (body[0] == 'f') which = "config";
      else if (body[0] == 'd') continue;
      else if (!create_with_value(body, len, &which)) continue;
    } else if (dashes == 1 && !create_long(body, len) && (body[0] == 'b' || body[0] == 'f')) {
      which = body[0] == 'b' ? "bundle" : "config"; /* crun's -bDIR */
      inl = body + 1;
    } else if (!create_with_value(body, len, &which)) continue;
    const char *value = inl != NULL ? inl : j + 1 < n ? args[j + 1] : NULL;
    if (inl == NULL) j++;
    if (strcmp(which, "bundle") == 0) bundle = value;
    if (strcmp(which, "config") == 0) config = value;
  }
  if (bundle == NULL) bundle = ".";
  if (config == NULL) config = "config.json";
  char p[PATH_MAX];
  if (config[0] == '/') snprintf(p, sizeof p, "%s", config);
  else if (snprintf(p, sizeof p, "%s/%s", bundle, config) >= (int)sizeof p) return 0;
  size_t len;
  char *text = read_file(p, &len);
  if (text == NULL || strlen(text) != len) return 0;
  int nothing = strcasestr(text, "netdevice") == NULL && strstr(text, "\\u") == NULL;
  free(text);
  return nothing;
}

int main(int argc, char **argv) {
  orig_argc = argc;
  orig_argv = argv;
  explain = getenv("OCI_NETDEVICES_WRAPPER_EXPLAIN") != NULL && strcmp(getenv("OCI_NETDEVICES_WRAPPER_EXPLAIN"), "1") == 0;
  invoked_as = (const char *)getauxval(AT_EXECFN);
  if (invoked_as == NULL || invoked_as[0] == '\0') invoked_as = argv[0];

  /* takeRuntimeFlag: our flag out of the global options. */
  char **args = calloc((size_t)argc + 1, sizeof *args);
  if (args == NULL) return 1;
  int n = 0, i = 1;
  const char *from_flag = NULL;
  for (; i < argc; i++) {
    const char *name;
    size_t len;
    int inl;
    if (strcmp(argv[i], "--") == 0 || !flag_of(argv[i], &name, &len, &inl)) break;
    if (len == strlen(RUNTIME_FLAG) && strncmp(name, RUNTIME_FLAG, len) == 0 && argv[i][1] == '-') {
      if (inl) from_flag = name + len + 1;
      else if (i + 1 < argc) from_flag = argv[++i];
      else from_flag = NULL;
      continue;
    }
    args[n++] = argv[i];
    if (global_with_value(name, len) && !inl && i + 1 < argc) args[n++] = argv[++i];
  }
  for (; i < argc; i++) args[n++] = argv[i];

  /* parseRuntimeArgs: the subcommand after the global options. */
  int at = 0;
  for (; at < n; at++) {
    const char *name;
    size_t len;
    int inl;
    if (strcmp(args[at], "--") == 0) {
      at++;
      break;
    }
    if (!flag_of(args[at], &name, &len, &inl)) break;
    if (global_with_value(name, len) && !inl) at++;
  }
  const char *sub = at < n ? args[at] : NULL;

  struct wrapper_config config = {0};
  read_wrapper_config(&config);
  char *real = resolve_executable(choose_runtime(from_flag, &config));

  if (sub != NULL && (strcmp(sub, "create") == 0 || strcmp(sub, "run") == 0)) {
    if (!config_asks_nothing(args, at + 1, n)) to_node("create/run: config.json may ask for devices");
  } else if (sub != NULL && strcmp(sub, "delete") == 0) {
    const char *id = NULL;
    for (int j = at + 1; j < n && id == NULL; j++) {
      if (strcmp(args[j], "--") == 0) {
        id = j + 1 < n ? args[j + 1] : NULL;
        break;
      }
      if (args[j][0] != '-' || strcmp(args[j], "-") == 0) id = args[j];
    }
    if (id != NULL && has_state_for(id, &config)) to_node("delete: state kept for this container");
  }

  char **rargv = calloc((size_t)n + 2, sizeof *rargv);
  if (rargv == NULL) return 1;
  rargv[0] = real;
  for (int j = 0; j < n; j++) rargv[j + 1] = args[j];
  if (explain) {
    printf("native");
    for (int j = 0; j <= n; j++) printf(" %s", rargv[j]);
    printf("\n");
    return 0;
  }
  execve(real, rargv, environ);
  fprintf(stderr, WHO ": cannot run %s: %s\n", real, strerror(errno));
  return 1;
}
