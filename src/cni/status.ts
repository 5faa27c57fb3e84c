/**
 * Status entries for CNI attachments, in cni-dra-driver's shape: `device` is
 * the ifName; condition `Ready` is True/NetworkInterfaceReady, or
 * False/NetworkInterfaceNotReady with the failure; `networkData` comes from
 * the result (the MAC of the result's interface named ifName) and `data` is
 * the raw CNI result.
 */
import { nodePool } from '../status/pool.js';
import { DRIVER, type DeviceStatus, rfc3339 } from '../status/device-status.js';
import { classifyFailure } from '../status/failure.js';
import type { CniAttachment } from './model.js';
import { type CniResult, interfaceData } from './result.js';

export function attachmentStatus(attachments: readonly CniAttachment[], results: ReadonlyMap<string, CniResult>, error?: unknown, at: string = rfc3339()): DeviceStatus[] {
  const f = error !== undefined ? classifyFailure(error) : undefined;
  return attachments.map((a): DeviceStatus => {
    const base = { driver: DRIVER, pool: nodePool(), device: a.ifName };
    const r = results.get(a.ifName);
    if (f === undefined && r !== undefined) {
      return {
        ...base,
        conditions: [{ type: 'Ready', status: 'True', reason: 'NetworkInterfaceReady', message: `network ${JSON.stringify(a.config.name)} attached as ${a.ifName}`, lastTransitionTime: at }],
        networkData: interfaceData(r, a.ifName),
        data: r.raw,
      };
    }
    const mine = f === undefined || f.device === undefined || f.device === a.ifName;
    const message = f === undefined ? 'no result' : mine ? f.message : `not attached: ${JSON.stringify(f.device)} failed (${f.reason}), every change was undone`;
    return { ...base, conditions: [{ type: 'Ready', status: 'False', reason: 'NetworkInterfaceNotReady', message, lastTransitionTime: at }] };
  });
}
