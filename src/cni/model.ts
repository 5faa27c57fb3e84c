/**
 * CNI attachments: each one is a network configuration list run for one
 * container interface (CNI_IFNAME). Shapes of the CNI spec (SPEC.md) as we
 * use them; everything a plugin sends back is checked in result.ts.
 */

export const CNI_VERSIONS = ['0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof CNI_VERSIONS)[number];

export function isCniVersion(v: unknown): v is CniVersion {
  return typeof v === 'string' && (CNI_VERSIONS as readonly string[]).includes(v);
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A conflist, normalised: a single plugin config becomes a one-plugin list (as libcni's ConfListFromConf). */
export interface NetConfList {
  cniVersion: CniVersion;
  name: string;
  disableCheck?: boolean;
  /** Each plugin's config as given; `type` is checked to name a plugin binary. */
  plugins: Obj[];
}

export interface CniAttachment {
  /** Index in the annotation's list (for messages). */
  index: number;
  ifName: string;
  config: NetConfList;
}

export type CniVerb = 'ADD' | 'DEL' | 'CHECK';

export function pluginType(p: Obj): string {
  return String(p.type);
}
