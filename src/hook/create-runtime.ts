/**
 * The createRuntime hook: validate everything, then move and configure each
 * device inside one transaction. Any failure rolls back every change.
 */
import { extractDevices } from '../config/extract.js';
import { ValidationError } from '../errors.js';
import { StepError } from '../errors.js';
import { applyDevices } from '../apply/apply-devices.js';
import { locateDevices, viewNamespace } from '../apply/inspect.js';
import type { DeviceRecord } from '../apply/record.js';
import { type FaultInjection, Transaction } from '../apply/transaction.js';
import { openGeneric, openRoute } from '../netlink/open.js';
import { EthtoolSession } from '../apply/ethtool-session.js';
import { ethtoolApplier, planAll, wantsEthtool } from '../apply/ethtool-apply.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import type { Log } from '../log.js';
import { readBundleConfig } from './bundle-config.js';
import { NetnsFd, assertOwnNetns, netnsPathOf } from './netns.js';
import { type OciState, requirePid } from './oci-state.js';

export interface CreateRuntimeOptions {
  faults?: FaultInjection;
  log: Log;
}

export interface CreateRuntimeResult {
  records: DeviceRecord[];
}

export function createRuntime(state: OciState, opts: CreateRuntimeOptions): CreateRuntimeResult {
  const config = readBundleConfig(state.bundle);
  const annotations = { ...state.annotations, ...configAnnotations(config) };
  const specs = extractDevices(config, { annotations });
  if (specs.length === 0) return { records: [] };
  const log = opts.log;
  const ctrPath = netnsPathOf(requirePid(state, 'createRuntime'));
  assertOwnNetns(ctrPath);

  const sockets: NetlinkSocket[] = [];
  const fds: NetnsFd[] = [];
  try {
    const host = openRoute(null);
    sockets.push(host);
    const ctr = openRoute(ctrPath);
    sockets.push(ctr);
    const hostFd = new NetnsFd('/proc/self/ns/net');
    fds.push(hostFd);
    const ctrFd = new NetnsFd(ctrPath);
    fds.push(ctrFd);

    const hostView = viewNamespace(host, { addrs: true, routes: true });
    const ctrView = viewNamespace(ctr, { addrs: true });
    const { targets, issues } = locateDevices(specs, hostView, ctrView);
    if (issues.length > 0) throw new ValidationError(issues);

    // ethtool names and fixed features are checked on the device before anything moves.
    const sessions = new Map<string, EthtoolSession>();
    const session = (netns: string | null): EthtoolSession => {
      const key = netns ?? 'host';
      let s = sessions.get(key);
      if (s === undefined) {
        s = new EthtoolSession(openGeneric(netns));
        sockets.push(s.sock);
        sessions.set(key, s);
      }
      return s;
    };
    const ethtool = targets.some(wantsEthtool) ? planAll(targets, (t) => session(t.hostLink !== undefined ? null : ctrPath)) : undefined;
    if (ethtool !== undefined && ethtool.issues.length > 0) throw new ValidationError(ethtool.issues);

    const tx = new Transaction(
      {
        beforeStep: (device, step) => log.debug({ device, step }, 'step'),
        afterStep: (device, step) => log.info({ device, step }, 'done'),
      },
      opts.faults,
    );
    try {
      const env = { host, ctr, hostNetnsFd: hostFd.fd, ctrNetnsFd: ctrFd.fd, tx, ...(ethtool !== undefined ? { ethtool: ethtoolApplier(() => session(ctrPath), ethtool.plans) } : {}) };
      const records = applyDevices(env, targets, hostView, ctrView);
      tx.commit();
      return { records };
    } catch (e) {
      const undoErrors = tx.rollback();
      for (const u of undoErrors) log.error({ err: u.message }, 'undo failed');
      if (e instanceof StepError) throw e.withUndoErrors(undoErrors);
      if (undoErrors.length > 0) throw new StepError('apply', '*', e, undoErrors);
      throw e;
    }
  } finally {
    for (const s of sockets) s.close();
    for (const f of fds) f.close();
  }
}

function configAnnotations(config: unknown): Record<string, string> {
  if (typeof config !== 'object' || config === null) return {};
  const ann = (config as { annotations?: unknown }).annotations;
  if (typeof ann !== 'object' || ann === null || Array.isArray(ann)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ann)) if (typeof v === 'string') out[k] = v;
  return out;
}
