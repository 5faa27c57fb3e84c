/**
 * Running one CNI plugin (SPEC.md "Execution protocol"): the network config
 * on stdin, the parameters in CNI_* variables, the result or error on
 * stdout. Plugins are other people's processes: each run is bounded by a
 * timeout (then SIGKILL), gets only its three stdio pipes (every fd of ours
 * is made close-on-exec first, also those our own caller left open to us),
 * a minimal environment, and at most MAX_STDOUT bytes of its stdout are read.
 */
import { accessSync, constants, statSync } from 'node:fs';
import type { spawnSync as SpawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { native } from '../native/binding.js';
import type { CniVerb } from './model.js';
import { parseErrorText } from './result.js';

export const MAX_STDOUT = 1024 * 1024;
export const DEFAULT_PLUGIN_TIMEOUT_MS = 30_000;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The per-call parameters of SPEC.md: they become CNI_* variables. */
export interface PluginCall {
  verb: CniVerb;
  containerId: string;
  /** Path of the container netns; "" when it is gone (DEL only). */
  netns: string;
  ifName: string;
  /** CNI_ARGS pairs, already in order. */
  args: ReadonlyArray<[string, string]>;
  cniPath: readonly string[];
  /** The PATH the plugin runs with: the attaching hook's (saved with the attachment), else this process's. */
  path?: string;
  timeoutMs?: number;
}

/** A plugin that failed: its spec error when it printed one, else what we saw. */
export class CniPluginError extends Error {
  override name = 'CniPluginError';
  constructor(
    readonly plugin: string,
    message: string,
    readonly code?: number,
    readonly details?: string,
  ) {
    super(message);
  }
}

/** The environment a plugin gets: PATH and the CNI_* variables, nothing else of ours. */
export function pluginEnv(call: PluginCall, path: string | undefined = call.path ?? process.env.PATH): Record<string, string> {
  return {
    PATH: path !== undefined && path !== '' ? path : DEFAULT_PATH,
    CNI_COMMAND: call.verb,
    CNI_CONTAINERID: call.containerId,
    CNI_NETNS: call.netns,
    CNI_IFNAME: call.ifName,
    CNI_ARGS: call.args.map(([k, v]) => `${k}=${v}`).join(';'),
    CNI_PATH: call.cniPath.join(':'),
  };
}

/** The first executable regular file named `type` on the CNI path (libcni's FindInPath). */
export function findPlugin(type: string, cniPath: readonly string[]): string {
  if (type.includes('/') || type === '.' || type === '..') throw new CniPluginError(type, `plugin type ${JSON.stringify(type)} must be a file name`);
  for (const dir of cniPath) {
    if (!dir.startsWith('/')) continue;
    const file = join(dir, type);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  throw new CniPluginError(type, `plugin ${JSON.stringify(type)} not found on the CNI path ${cniPath.join(':')}`);
}

const firstLine = (s: string): string => (s.trim().split('\n').find((l) => l.trim() !== '') ?? '').slice(0, 512);

/** Runs the plugin; its stdout on success. Throws CniPluginError with the plugin's own msg when it failed. */
export function execPlugin(type: string, netconf: string, call: PluginCall): string {
  const file = findPlugin(type, call.cniPath);
  // Node marks what it opens close-on-exec, but not what it inherited (a runtime's or a shell's leaks).
  native().closeOnExecFrom(3);
  // Loaded here, not at import: node:child_process costs every cold hook ~1 ms, and most pods run no plugin.
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as { spawnSync: typeof SpawnSync };
  const r = spawnSync(file, [], {
    input: netconf,
    env: pluginEnv(call),
    cwd: '/',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: call.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: MAX_STDOUT,
    encoding: 'utf8',
    windowsHide: true,
  });
  const err = r.error as NodeJS.ErrnoException | undefined;
  const limit = call.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
  // spawnSync waits for the end of the output too: a plugin that exited can still be cut off by a child holding it.
  if (err?.code === 'ETIMEDOUT' && r.status !== null) throw new CniPluginError(type, `${call.verb} exited (status ${r.status}), but a process it left behind held its output open past ${limit} ms`);
  if (err?.code === 'ETIMEDOUT') throw new CniPluginError(type, `${call.verb} timed out after ${limit} ms (killed)`);
  if (err?.code === 'ENOBUFS') throw new CniPluginError(type, `${call.verb} printed more than ${MAX_STDOUT} bytes (killed)`);
  if (err !== undefined) throw new CniPluginError(type, `cannot run ${file}: ${err.message}`);
  if (r.status === 0) return r.stdout;
  const spec = parseErrorText(r.stdout);
  if (spec !== undefined) throw new CniPluginError(type, spec.msg !== '' ? spec.msg : `error code ${spec.code}`, spec.code, spec.details);
  const why = r.signal !== null ? `killed by ${r.signal}` : `exit status ${r.status}`;
  const said = firstLine(r.stderr) || firstLine(r.stdout);
  throw new CniPluginError(type, said !== '' ? `${said} (${why})` : why);
}
