/*
 * What the two native front doors (hook.c, runtime.c) share: where the package is, and how to
 * become its Node entry point with Node's environment variables dropped (NODE_OPTIONS,
 * NODE_EXTRA_CA_CERTS, NODE_PATH...: the Node processes get an environment we choose).
 * No policy lives here: every decision the front doors cannot make with certainty is Node's.
 */
#pragma once
#include <stddef.h>

/* The package root: this executable lives at <root>/build/Release/<name>. Returns 0 on success. */
int package_root(char *out, size_t size);

/* environ without what Node acts on at start (NODE_*, UV_*, OpenSSL's configuration), as bin/node-env.sh drops it; NULL when out of memory. */
char **env_for_node(void);

/*
 * Becomes bin/<script> without its sh launcher (about 3 ms of shell and environment loop):
 * `node <root>/bin/<script>.cjs <root>/bin/<script> argv[1..]`, node found on the caller's PATH,
 * the environment as env_for_node(). Returns only on failure (after printing why).
 */
void exec_node_entry(const char *script, char **argv, const char *who);

/* execve(<root>/bin/<script>, argv, env); returns only on failure (after printing why). */
void exec_node_script(const char *script, char **argv, char **env, const char *who);

/* write(2) all of buf, retrying on EINTR and short writes; 0 on success. */
int write_all(int fd, const void *buf, size_t len);
