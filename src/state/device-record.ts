/**
 * What the hook remembers about each device it moved: enough to put the
 * device back on the host exactly as it was (teardown, crash recovery).
 */
import type { DeviceIdentity } from './identity.js';

export interface SavedAddress {
  family: 4 | 6;
  /** Base64 of the address bytes. */
  bytes: string;
  prefixLength: number;
  text: string;
  scope: number;
  flags: number;
}

export interface SavedRoute {
  family: 4 | 6;
  dst: string;
  dstLength: number;
  gateway?: string;
  prefSrc?: string;
  scope: number;
  text: string;
}

export interface HostOriginal {
  name: string;
  index: number;
  up: boolean;
  mtu: number;
  mac?: string;
  gsoMaxSize?: number;
  groMaxSize?: number;
  gsoIPv4MaxSize?: number;
  groIPv4MaxSize?: number;
  /** Permanent addresses (all scopes) the host had on the device. */
  addresses: SavedAddress[];
  /** Static routes through the device (kernel-made ones come back on their own). */
  routes: SavedRoute[];
  /** Original state of every ethtool feature/private flag the hook changed (kernel names). */
  features: Record<string, boolean>;
  privateFlags: Record<string, boolean>;
}

export interface DeviceRecord {
  hostName: string;
  /** Name the device got in the container. */
  containerName: string;
  containerIndex: number;
  /** True when the runtime had already moved it (we only configured it). */
  movedByRuntime: boolean;
  original: HostOriginal;
  /** Who the device is, with its container ifindex (src/state/identity.ts). */
  identity: DeviceIdentity;
}
