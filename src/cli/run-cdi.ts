/** `cdi generate`: a CDI spec (kind oci-netdevices.io/netdev) for the host interfaces the policy allows. */
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type NamespaceView, viewNamespace } from '../apply/inspect.js';
import { selectDevices } from '../cdi/select.js';
import { CDI_VERSIONS, DEFAULT_CDI_VERSION, buildCdiSpec, isCdiVersion } from '../cdi/spec.js';
import { UsageError } from '../errors.js';
import { openRoute } from '../netlink/open.js';
import { packageRoot } from '../package-root.js';
import { hookBins } from '../runtime/inject-hooks.js';
import { loadPolicy } from '../policy/policy.js';

export interface CdiGenerateFlags {
  output?: string;
  cdiVersion?: string;
  devices?: string;
  logFile?: string;
  stateDir?: string;
  policy?: string;
}

type Format = 'json' | 'yaml';

/** CDI registries read only `*.json` and `*.yaml` files. */
function formatOf(file: string): Format {
  if (/\.ya?ml$/.test(file)) return 'yaml';
  if (file.endsWith('.json')) return 'json';
  throw new UsageError(`--output ${JSON.stringify(file)}: CDI reads only .json and .yaml (or .yml) files`);
}

export async function runCdiGenerate(flags: CdiGenerateFlags): Promise<number> {
  const version = flags.cdiVersion ?? DEFAULT_CDI_VERSION;
  if (!isCdiVersion(version)) throw new UsageError(`--cdi-version must be one of ${CDI_VERSIONS.join(', ')}, not ${JSON.stringify(version)}`);
  const format = flags.output !== undefined ? formatOf(flags.output) : 'json';
  const policy = loadPolicy(flags.policy);
  const sock = openRoute(null);
  const view = ((): NamespaceView => {
    try {
      return viewNamespace(sock, { routes: true });
    } finally {
      sock.close();
    }
  })();
  const { devices, skipped } = selectDevices(view, policy, flags.devices);
  for (const s of skipped) process.stderr.write(`oci-netdevices: skipped ${JSON.stringify(s.name)}: ${s.why}\n`);
  // A CDI registry refuses a spec without devices.
  if (devices.length === 0) throw new UsageError(`no host interface to offer${flags.devices !== undefined ? ` matches --devices ${JSON.stringify(flags.devices)}` : ''} (see the skipped ones above); nothing written`);
  const extraArgs: string[] = [];
  // An empty value (a variable set to "") means unset, as for the hook itself.
  for (const [flag, v] of [['--log-file', flags.logFile], ['--state-dir', flags.stateDir], ['--policy', flags.policy]] as const) if (v !== undefined && v !== '') extraArgs.push(flag, v);
  const spec = buildCdiSpec({ version, hookBin: hookBins(packageRoot()).frontDoor, devices, extraArgs });
  const text = format === 'yaml' ? (await import('yaml')).stringify(spec) : `${JSON.stringify(spec, null, 2)}\n`;
  if (flags.output === undefined) {
    process.stdout.write(text);
  } else {
    // Atomic: a registry watching the directory never reads half a spec.
    const tmp = join(dirname(flags.output), `.${basename(flags.output)}.${process.pid}.tmp`);
    writeFileSync(tmp, text, { mode: 0o644 });
    chmodSync(tmp, 0o644);
    renameSync(tmp, flags.output);
    process.stderr.write(`oci-netdevices: wrote ${flags.output} (cdiVersion ${version}, ${devices.length} device(s))\n`);
  }
  return 0;
}
