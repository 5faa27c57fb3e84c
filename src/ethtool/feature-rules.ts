/**
 * Pure resolution of a user's ethtool settings against what the device has.
 *
 * Features: a kernel feature name is used as is; a CLI name (feature-names.ts)
 * means, as in the ethtool CLI, every changeable bit behind it. Bits that are
 * [fixed] (not in the device's hw set) are left alone and reported in
 * `fixedLeft`; if none of an alias's bits is changeable and the request
 * differs from the current state, that is an error, as is a fixed kernel name
 * that differs. A request already met by a fixed bit is fine and sends nothing.
 */
import { aliasesPresent, expandFeatureAlias } from './feature-names.js';

/** A setting the device cannot take. `field` names the config key, e.g. `ethtool.features["tso"]`. */
export class EthtoolConfigError extends Error {
  override name = 'EthtoolConfigError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** What planning needs from ethtoolFeaturesGet. */
export interface FeatureView {
  names: readonly string[];
  hw: ReadonlyMap<string, boolean>;
  active: ReadonlyMap<string, boolean>;
}

export interface FeaturePlan {
  /** Kernel feature name -> value: exactly the WANTED bits to send. */
  features: Record<string, boolean>;
  /** Per requested alias, its [fixed] bits that differ from the request and stay as they are. */
  fixedLeft: Record<string, string[]>;
}

const onOff = (v: boolean): string => (v ? 'on' : 'off');

export function planFeatures(requested: Readonly<Record<string, boolean>>, device: FeatureView, dev: string, fieldPrefix = 'ethtool.features'): FeaturePlan {
  const names = device.names.filter((n) => n !== '');
  const known = new Set(names);
  const plan: FeaturePlan = { features: {}, fixedLeft: {} };
  const setBy = new Map<string, string>();
  for (const [name, want] of Object.entries(requested)) {
    const field = `${fieldPrefix}[${JSON.stringify(name)}]`;
    const bits = known.has(name) ? [name] : expandFeatureAlias(name, names);
    if (bits === undefined || bits.length === 0) {
      throw new EthtoolConfigError(field, `unknown feature ${JSON.stringify(name)} on ${dev}; it has: ${[...names, ...aliasesPresent(names)].join(', ')}`);
    }
    const changeable = bits.filter((b) => device.hw.get(b) === true);
    const fixedDiffering = bits.filter((b) => device.hw.get(b) !== true && (device.active.get(b) ?? false) !== want);
    if (changeable.length === 0) {
      if (fixedDiffering.length > 0) {
        const state = fixedDiffering.map((b) => `${b} ${onOff(!want)} [fixed]`).join(', ');
        throw new EthtoolConfigError(field, `feature ${JSON.stringify(name)} is fixed on ${dev} (${state}); it cannot be turned ${onOff(want)}`);
      }
      continue;
    }
    if (fixedDiffering.length > 0) plan.fixedLeft[name] = fixedDiffering;
    for (const b of changeable) {
      const earlier = setBy.get(b);
      if (earlier !== undefined && plan.features[b] !== want) {
        throw new EthtoolConfigError(field, `${JSON.stringify(name)} turns ${b} ${onOff(want)}, but ${JSON.stringify(earlier)} turns it ${onOff(!want)}`);
      }
      plan.features[b] = want;
      setBy.set(b, name);
    }
  }
  return plan;
}

/** The wanted kernel features whose active state is not what was asked for, after the change. */
export function verifyFeatures(wanted: Readonly<Record<string, boolean>>, after: Pick<FeatureView, 'active'>): string[] {
  return Object.entries(wanted)
    .filter(([name, want]) => (after.active.get(name) ?? false) !== want)
    .map(([name]) => name);
}

/**
 * Private flags to send: only names the device has. `current` is the
 * device's flags (ethtoolPrivFlagsGet), or undefined when it has none.
 */
export function planPrivFlags(
  requested: Readonly<Record<string, boolean>>,
  current: ReadonlyMap<string, boolean> | undefined,
  dev: string,
  fieldPrefix = 'ethtool.privateFlags',
): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [name, want] of Object.entries(requested)) {
    const field = `${fieldPrefix}[${JSON.stringify(name)}]`;
    if (current === undefined || current.size === 0) throw new EthtoolConfigError(field, `${dev} has no private flags`);
    if (!current.has(name)) throw new EthtoolConfigError(field, `unknown private flag ${JSON.stringify(name)} on ${dev}; it has: ${[...current.keys()].join(', ')}`);
    out[name] = want;
  }
  return out;
}
