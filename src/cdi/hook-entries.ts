/**
 * CDI devices reach the hook as one createRuntime entry per device
 * (`hook createRuntime --cdi-device <name>`), and the runtime runs each entry.
 * They cooperate through the bundle's config.json: every run reads that
 * stage's hook list and collects the `--cdi-device` of all our entries there;
 * the first of our entries (with or without a CDI device: the wrapper's and
 * hooks.d's count too) acts for all of them and for the annotations, the
 * others exit 0. Without any CDI device in play nothing changes: the run acts.
 */
import { basename } from 'node:path';
import { UsageError, ValidationError, type ValidationIssue } from '../errors.js';
import { givenOptions, parseFastHook } from '../cli/entry.js';
import { cdiNameProblem } from './names.js';
import { CDI_DEVICE_FLAG } from './spec.js';

/** A hook invocation as its options (camelCase, as the CLI hands them over), without the stage. */
export type Invocation = Readonly<Record<string, string | undefined>>;

export interface CdiPlan {
  /** false: an earlier entry of ours acts for this run too. */
  act: boolean;
  /** The CDI devices the acting run adds to the container's device list, in hook order. */
  devices: string[];
  /** The acting entry appears more than once in the list (the same CDI device asked twice): its later runs must find the work done. */
  repeated: boolean;
}

interface Listed {
  invocation: Invocation;
  at: string;
}

/** Our entries in `config.hooks[stage]`: an `oci-netdevices…` executable running `hook <stage>` with our options. */
export function ourEntries(config: unknown, stage: string): Listed[] {
  const hooks = isObj(config) && isObj(config.hooks) ? config.hooks[stage] : undefined;
  if (!Array.isArray(hooks)) return [];
  const out: Listed[] = [];
  hooks.forEach((h: unknown, i) => {
    if (!isObj(h) || typeof h.path !== 'string' || !Array.isArray(h.args) || !h.args.every((a) => typeof a === 'string')) return;
    const args = h.args as string[];
    if (![h.path, args[0] ?? ''].some((p) => basename(p).startsWith('oci-netdevices'))) return;
    const parsed = parseFastHook(args.slice(1));
    if (parsed === undefined || parsed.stage !== stage) return;
    out.push({ invocation: givenOptions(parsed.options), at: `hooks.${stage}[${i}].args` });
  });
  return out;
}

function same(a: Invocation, b: Invocation): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

function defined(flags: Invocation): Invocation {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
}

/** Every CDI name must be valid; the issues name where it was written. */
function checkNames(names: ReadonlyArray<{ name: string; at: string }>): void {
  const issues: ValidationIssue[] = [];
  for (const { name, at } of names) {
    const problem = cdiNameProblem(name);
    if (problem !== undefined) issues.push({ path: at, device: name, message: `${CDI_DEVICE_FLAG}: ${problem}` });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** `me`: this run's own options (its `cdiDevice` among them). */
export function planCdi(config: unknown, stage: string, me: Invocation): CdiPlan {
  const self = defined(me);
  const entries = ourEntries(config, stage);
  const named = entries.flatMap((e) => (e.invocation.cdiDevice !== undefined ? [{ name: e.invocation.cdiDevice, at: e.at }] : []));
  const mine = self.cdiDevice;
  if (named.length === 0 && mine === undefined) return { act: true, devices: [], repeated: false };
  checkNames([...named, ...(mine !== undefined ? [{ name: mine, at: CDI_DEVICE_FLAG }] : [])]);
  const devices = [...new Set(named.map((n) => n.name))];
  const leader = entries[0];
  if (leader === undefined) return { act: true, devices: [mine!], repeated: false };
  if (same(leader.invocation, self)) return { act: true, devices, repeated: entries.filter((e) => same(e.invocation, self)).length > 1 };
  if (entries.some((e) => same(e.invocation, self))) return { act: false, devices: [], repeated: false };
  // Only a caller that is not the runtime gets here: the runtime runs exactly the listed entries.
  throw new UsageError(`hook ${stage}${mine !== undefined ? ` ${CDI_DEVICE_FLAG} ${mine}` : ''}: config.json's ${stage} hooks do not list this invocation, but list CDI devices of ours (${devices.join(', ')}); run the hooks as config.json gives them`);
}

type Obj = Record<string, unknown>;
function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
