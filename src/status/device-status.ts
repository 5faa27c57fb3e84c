/**
 * What each container really got, in the shape of a ResourceClaim's
 * `status.devices[]` entries (Kubernetes AllocatedDeviceStatus, KEP-4817):
 * `driver`, `pool`, `device`, `conditions` (metav1.Condition: type, status,
 * reason, message, lastTransitionTime) and `networkData` (interfaceName,
 * ips, hardwareAddress), as DraNet reports them.
 *
 * Conditions per device:
 * - `Ready`: the device is in the container under its name (reason
 *   `NetworkDeviceReady`), or why not.
 * - `NetworkReady`: every requested address is on it, read back from the
 *   kernel, and its routes were applied (reason `NetworkReady`), or why not.
 * - `SLAACReady` (addressing SLAAC only, first, as DraNet lists it): the
 *   autoconfigured addresses read back (reason `SLAACReady`), or `False` with
 *   `AutoconfigurationTimedOut` (or the failure's reason).
 *
 * A DHCP lease (addressing DHCP) is reported in `data.dhcpLease`: server,
 * address, prefix, router, MTU, lease time and when it was obtained.
 */
import { nodePool } from './pool.js';
import type { DeviceSpec } from '../config/model.js';
import type { DhcpLease } from '../dhcp/lease.js';
import { SlaacTimeoutError, StepError } from '../errors.js';
import { type Failure, classifyFailure } from './failure.js';
import type { Loss } from '../state/device-record.js';

export const DRIVER = 'oci-netdevices.io';

export interface Condition {
  type: 'Ready' | 'NetworkReady' | 'SLAACReady' | 'Restored';
  status: 'True' | 'False';
  reason: string;
  message: string;
  /** RFC 3339, seconds precision, UTC. */
  lastTransitionTime: string;
}

export interface NetworkData {
  interfaceName: string;
  /** CIDR strings, as the kernel reports them (global scope only). */
  ips: string[];
  hardwareAddress?: string;
}

/** One ResourceClaim `status.devices[]` entry. */
export interface DeviceStatus {
  driver: string;
  pool: string;
  device: string;
  conditions: Condition[];
  networkData?: NetworkData;
  /** CNI attachments (src/cni/status.ts): the raw CNI result. */
  data?: unknown;
}

/** What `status` prints for a container: its id and its `devices` entries. */
export interface ContainerStatus {
  containerId: string;
  devices: DeviceStatus[];
}

/** Read back from the kernel (inside the container) once configured, by host name. */
export interface Observed {
  interfaceName: string;
  hardwareAddress?: string;
  ips: string[];
  /** The IPv6 addresses among `ips` that router advertisements made (not permanent, DAD done, not deprecated). */
  autoconfigured?: string[];
  /** The lease the device holds (from the state record). */
  dhcpLease?: DhcpLease;
}

/** After a teardown with losses: per device, a `Restored` condition saying what it came home without. */
export function lossStatus(losses: readonly Loss[], now: Date = new Date()): DeviceStatus[] {
  const byDevice = new Map<string, Loss[]>();
  for (const l of losses) byDevice.set(l.device, [...(byDevice.get(l.device) ?? []), l]);
  return [...byDevice].map(([device, ls]) => ({
    driver: DRIVER, pool: nodePool(), device,
    conditions: [{ type: 'Restored', status: 'False', reason: 'RestoredWithLosses', message: ls.map((l) => `${l.what} not restored: ${l.why}`).join('; '), lastTransitionTime: rfc3339(now) }],
  }));
}

/**
 * UTC to the second. Built from the getUTC* fields: a process's first toISOString() costs
 * about 0.2 ms (on a hook's critical path, for one timestamp); years outside 0..9999 take it anyway.
 */
export function rfc3339(d: Date = new Date()): string {
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
  return `${String(year).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}Z`;
}

function cond(type: Condition['type'], ok: boolean, reason: string, message: string, at: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message, lastTransitionTime: at };
}

function entry(device: string, conditions: Condition[], networkData?: NetworkData, data?: unknown): DeviceStatus {
  return { driver: DRIVER, pool: nodePool(), device, conditions, ...(networkData !== undefined ? { networkData } : {}), ...(data !== undefined ? { data } : {}) };
}

function succeeded(spec: DeviceSpec, seen: Observed | undefined, at: string): DeviceStatus {
  if (seen === undefined) {
    const why = `not found in the container after configuration (expected ${spec.containerName})`;
    return entry(spec.hostName, [cond('Ready', false, 'DeviceNotFound', why, at), cond('NetworkReady', false, 'DeviceNotFound', why, at)]);
  }
  const lease = seen.dhcpLease;
  const wanted = [...spec.addresses.map((a) => `${a.text}/${a.prefixLength}`), ...(lease !== undefined ? [`${lease.address}/${lease.prefixLength}`] : [])];
  const missing = wanted.filter((w) => !seen.ips.includes(w));
  const routes = spec.routes.length;
  const how = lease !== undefined ? `, DHCP lease ${lease.address}/${lease.prefixLength} from ${lease.serverId} for ${lease.leaseSeconds} s` : '';
  const network = missing.length === 0
    ? cond('NetworkReady', true, 'NetworkReady', `${wanted.length} address(es) and ${routes} route(s) applied${how}`, at)
    : cond('NetworkReady', false, 'AddressesMissing', `not on ${seen.interfaceName} after configuration: ${missing.join(', ')}`, at);
  const networkData: NetworkData = { interfaceName: seen.interfaceName, ips: seen.ips, ...(seen.hardwareAddress !== undefined ? { hardwareAddress: seen.hardwareAddress } : {}) };
  const conditions = [cond('Ready', true, 'NetworkDeviceReady', `in the container as ${seen.interfaceName}`, at), network];
  if (spec.addressing === 'SLAAC') {
    const auto = seen.autoconfigured ?? [];
    conditions.unshift(auto.length > 0
      ? cond('SLAACReady', true, 'SLAACReady', `autoconfigured addresses: ${auto.join(',')}`, at)
      : cond('SLAACReady', false, 'AutoconfigurationTimedOut', `no autoconfigured address on ${seen.interfaceName} when read back`, at));
  }
  return entry(spec.hostName, conditions, networkData, lease !== undefined ? { dhcpLease: lease } : undefined);
}

function failed(spec: DeviceSpec, f: Failure & { error: unknown }, at: string): DeviceStatus {
  // The device that failed carries the error line; the others were rolled back because of it.
  const mine = f.device === undefined || f.device === spec.hostName;
  const reason = mine ? f.reason : 'RolledBack';
  const message = mine ? f.message : `not configured: device ${JSON.stringify(f.device)} failed (${f.reason}), every change was undone`;
  const conditions = [cond('Ready', false, reason, message, at), cond('NetworkReady', false, reason, mine ? 'not configured: every change was undone' : message, at)];
  if (spec.addressing === 'SLAAC') conditions.unshift(slaacFailed(mine, reason, message, f.error, at));
  return entry(spec.hostName, conditions);
}

function slaacFailed(mine: boolean, reason: string, message: string, error: unknown, at: string): Condition {
  const timedOut = mine && error instanceof StepError && error.cause instanceof SlaacTimeoutError;
  return timedOut
    ? cond('SLAACReady', false, 'AutoconfigurationTimedOut', (error.cause as Error).message, at)
    : cond('SLAACReady', false, reason, `not configured: ${message}`, at);
}

/**
 * The `status.devices` entries of a container: after success from what the
 * kernel reports (`readBack`, by host name), after a failure from the error.
 */
export function buildStatus(specs: readonly DeviceSpec[], readBack: ReadonlyMap<string, Observed>, error?: unknown, at: string = rfc3339()): DeviceStatus[] {
  if (error === undefined) return specs.map((s) => succeeded(s, readBack.get(s.hostName), at));
  const f = { ...classifyFailure(error), error };
  return specs.map((s) => failed(s, f, at));
}
