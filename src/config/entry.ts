/**
 * One device entry as read from one source (config.json or an annotation),
 * before entries naming the same host device are merged.
 */
import type { Cidr, RouteSpec } from './model.js';

export interface Valued<T> {
  value: T;
  path: string;
}

export interface Entry {
  path: string;
  hostName: string;
  source: 'config' | 'annotation';
  containerName?: Valued<string>;
  addresses: Array<Valued<Cidr>>;
  mtu?: Valued<number>;
  hardwareAddr?: Valued<string>;
  gsoMaxSize?: Valued<number>;
  groMaxSize?: Valued<number>;
  gsoIPv4MaxSize?: Valued<number>;
  groIPv4MaxSize?: Valued<number>;
  routes: RouteSpec[];
  features: Record<string, Valued<boolean>>;
  privateFlags: Record<string, Valued<boolean>>;
}

export type SizeField = 'gsoMaxSize' | 'groMaxSize' | 'gsoIPv4MaxSize' | 'groIPv4MaxSize';
export const SIZE_FIELDS: readonly SizeField[] = ['gsoMaxSize', 'groMaxSize', 'gsoIPv4MaxSize', 'groIPv4MaxSize'];

export function emptyEntry(path: string, hostName: string, source: Entry['source']): Entry {
  return { path, hostName, source, addresses: [], routes: [], features: {}, privateFlags: {} };
}
