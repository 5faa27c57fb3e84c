/**
 * One device entry as read from one source document (config.json or one
 * annotation), before entries naming the same host device are merged.
 */
import type { InterfaceField, InterfaceValue } from './interface-fields.js';
import type { Addressing, Cidr, InterfaceSysctls, NeighborSpec, RouteSpec, RuleSpec, VrfSpec } from './model.js';

export interface Valued<T> {
  value: T;
  /** JSON path the value was read from. */
  path: string;
}

export type Source = 'config' | 'annotation';

/** The interface's scalar fields (src/config/interface-fields.ts), each with where it was read. */
export type ValuedScalars = { [K in InterfaceField]?: Valued<InterfaceValue<K>> };

export interface Entry extends ValuedScalars {
  path: string;
  hostName: string;
  /** Where the host name was written: `…[0].name` (array forms) or the map key's own path. */
  hostPath: string;
  source: Source;
  /** The document the entry came from (`linux.netDevices`, `annotations["…"]`): a host name twice in one document is a duplicate, across documents a merge. */
  origin: string;
  containerName?: Valued<string>;
  addresses: Array<Valued<Cidr>>;
  routes: RouteSpec[];
  rules: RuleSpec[];
  neighbors: NeighborSpec[];
  sysctls: { [K in keyof InterfaceSysctls]?: Valued<NonNullable<InterfaceSysctls[K]>> };
  addressing?: Valued<Addressing>;
  linkType?: Valued<'passthrough' | 'ipvlan'>;
  /** Where `interface.ipvlan` was given (valid only with type ipvlan). */
  ipvlanPath?: string;
  vrf?: Valued<VrfSpec>;
  /** Maps, not records: a feature may be called `__proto__` by a hostile input. */
  features: Map<string, Valued<boolean>>;
  privateFlags: Map<string, Valued<boolean>>;
}

export function emptyEntry(path: string, hostPath: string, hostName: string, source: Source, origin: string): Entry {
  return { path, hostName, hostPath, source, origin, addresses: [], routes: [], rules: [], neighbors: [], sysctls: {}, features: new Map(), privateFlags: new Map() };
}

/** Collects issues for one entry, each tagged with the entry's host device. */
export type Report = (path: string, message: string) => void;
