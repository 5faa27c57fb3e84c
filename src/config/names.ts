/** Rules across devices: interface names, their uniqueness, and route source addresses that must be local. */
import type { ValidationIssue } from '../errors.js';
import { isTemplate, validIfName, validTemplate } from './ifname.js';
import type { Entry } from './entry.js';
import type { DeviceSpec } from './model.js';

/** `entries` are the kept (non-duplicate) entries, for the paths the names were written at. */
export function checkNames(devices: DeviceSpec[], entries: Entry[], issues: ValidationIssue[]): void {
  const byCtr = new Map<string, DeviceSpec>();
  for (const d of devices) {
    const mine = entries.filter((e) => e.hostName === d.hostName);
    const hostPath = mine[0]?.hostPath ?? d.path;
    const ctrPath = mine.find((e) => e.containerName !== undefined)?.containerName?.path ?? hostPath;
    const report = (path: string, message: string): void => {
      issues.push({ path, device: d.hostName, message });
    };
    const hostWhy = validIfName(d.hostName);
    if (hostWhy !== undefined) report(hostPath, `host interface name ${JSON.stringify(d.hostName)} ${hostWhy}`);
    else if (d.hostName.includes('%')) report(hostPath, `host interface name ${JSON.stringify(d.hostName)} holds "%": a "%d" template is only allowed in the container-side name`);
    const ctrWhy = validIfName(d.containerName) ?? validTemplate(d.containerName);
    if (ctrWhy !== undefined) {
      report(ctrPath, `container interface name ${JSON.stringify(d.containerName)} ${ctrWhy}`);
      continue;
    }
    if (isTemplate(d.containerName)) continue;
    const prev = byCtr.get(d.containerName);
    if (prev !== undefined) report(ctrPath, `container interface name ${JSON.stringify(d.containerName)} is also used by host device ${JSON.stringify(prev.hostName)}`);
    else byCtr.set(d.containerName, d);
  }
}

/** A route's preferred source must be an address the container netns will have: the kernel refuses others (EINVAL). */
export function checkRouteSources(devices: DeviceSpec[], issues: ValidationIssue[]): void {
  const local = new Set(devices.flatMap((d) => d.addresses.map((a) => a.text)));
  for (const d of devices) {
    for (const r of d.routes) {
      if (r.source !== undefined && !local.has(r.source.text)) {
        issues.push({ path: `${r.path}.source`, device: d.hostName, message: `source ${r.source.text} is not an address given to any device of this container; the kernel accepts only a local preferred source` });
      }
    }
  }
}
