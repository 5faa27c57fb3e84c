/**
 * What each container really got, in the shape of a ResourceClaim's
 * status.devices[] entries (KEP-4817 AllocatedDeviceStatus, as DraNet reports):
 * driver, pool, device, conditions (Ready / NetworkReady) and networkData.
 */
import { hostname } from 'node:os';
import type { DeviceSpec } from '../config/model.js';

export const DRIVER = 'oci-netdevices.io';

export interface Condition {
  type: 'Ready' | 'NetworkReady';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface NetworkData {
  interfaceName: string;
  hardwareAddress?: string;
  ips: string[];
}

export interface DeviceStatus {
  driver: string;
  pool: string;
  device: string;
  conditions: Condition[];
  networkData?: NetworkData;
}

export interface ContainerStatus {
  containerId: string;
  devices: DeviceStatus[];
}

/** Read back from the kernel once configured. */
export interface Observed {
  interfaceName: string;
  hardwareAddress?: string;
  ips: string[];
}

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export function readyStatus(spec: DeviceSpec, seen: Observed, at = now()): DeviceStatus {
  const wantedAddrs = spec.addresses.length;
  const routes = spec.routes.length;
  return {
    driver: DRIVER,
    pool: hostname(),
    device: spec.hostName,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'NetworkDeviceReady', message: `moved into the container as ${seen.interfaceName}`, lastTransitionTime: at },
      { type: 'NetworkReady', status: 'True', reason: 'NetworkReady', message: `${wantedAddrs} address(es) and ${routes} route(s) applied`, lastTransitionTime: at },
    ],
    networkData: { interfaceName: seen.interfaceName, ...(seen.hardwareAddress !== undefined ? { hardwareAddress: seen.hardwareAddress } : {}), ips: seen.ips },
  };
}

/** Which step family failed, as a condition reason. */
export function failureReason(step: string | undefined, kind: 'validation' | 'policy' | 'busy' | 'kernel' | 'other'): string {
  if (kind === 'validation') return 'ValidationFailed';
  if (kind === 'policy') return 'PolicyRefused';
  if (kind === 'busy') return 'DeviceBusy';
  if (step !== undefined && step.startsWith('move')) return 'MoveFailed';
  return kind === 'kernel' ? 'ConfigurationFailed' : 'Failed';
}

export function failedStatus(hostName: string, reason: string, message: string, at = now()): DeviceStatus {
  return {
    driver: DRIVER,
    pool: hostname(),
    device: hostName,
    conditions: [
      { type: 'Ready', status: 'False', reason, message, lastTransitionTime: at },
      { type: 'NetworkReady', status: 'False', reason, message: 'not configured: every change was undone', lastTransitionTime: at },
    ],
  };
}
