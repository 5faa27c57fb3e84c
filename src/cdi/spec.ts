/**
 * The CDI spec `cdi generate` writes: one device per host interface, whose
 * containerEdits add our createRuntime and poststop hooks naming it
 * (`hook <stage> --cdi-device <name>`). From cdiVersion 1.1.0 on, the edits
 * also carry `netDevices`, for runtimes that move devices themselves; older
 * parsers reject that field (podman 4.3 reads at most 0.5.0, containerd 2.1
 * at most 0.6.0), so 0.5.0 is the default. Pure: the caller writes the text.
 */
import { CDI_KIND } from './names.js';

export const CDI_VERSIONS = ['0.5.0', '0.6.0', '1.1.0'] as const;
export type CdiVersion = (typeof CDI_VERSIONS)[number];
export const DEFAULT_CDI_VERSION: CdiVersion = '0.5.0';

export interface CdiHook {
  hookName: 'createRuntime' | 'poststop';
  path: string;
  args: string[];
}

export interface CdiDevice {
  name: string;
  containerEdits: { hooks: CdiHook[]; netDevices?: Array<{ hostInterfaceName: string; name: string }> };
}

export interface CdiSpec {
  cdiVersion: CdiVersion;
  kind: string;
  devices: CdiDevice[];
}

export const CDI_DEVICE_FLAG = '--cdi-device';

export function isCdiVersion(v: string): v is CdiVersion {
  return (CDI_VERSIONS as readonly string[]).includes(v);
}

/** `extraArgs`: global flags for the hook (--state-dir, --log-file), placed before `hook <stage>`. */
export function cdiHookArgs(stage: CdiHook['hookName'], device: string, extraArgs: readonly string[] = []): string[] {
  return ['oci-netdevices', ...extraArgs, 'hook', stage, CDI_DEVICE_FLAG, device];
}

export function buildCdiSpec(opts: { version: CdiVersion; hookBin: string; devices: readonly string[]; extraArgs?: readonly string[] }): CdiSpec {
  const hooks = (name: string): CdiHook[] =>
    (['createRuntime', 'poststop'] as const).map((hookName) => ({ hookName, path: opts.hookBin, args: cdiHookArgs(hookName, name, opts.extraArgs) }));
  return {
    cdiVersion: opts.version,
    kind: CDI_KIND,
    devices: opts.devices.map((name) => ({
      name,
      containerEdits: { hooks: hooks(name), ...(opts.version === '1.1.0' ? { netDevices: [{ hostInterfaceName: name, name }] } : {}) },
    })),
  };
}
