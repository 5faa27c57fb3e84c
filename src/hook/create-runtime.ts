/**
 * The createRuntime hook: validate everything, lock the devices, journal
 * their host state, then move and configure them inside one transaction.
 * Any failure (or a signal, or the deadline) rolls back every change and
 * leaves no pin, claim or state behind.
 */
import { applyDevices } from '../apply/apply-devices.js';
import { ethtoolApplier, planAll, wantsEthtool } from '../apply/ethtool-apply.js';
import type { EthtoolPlan } from '../apply/ethtool-plan.js';
import { EthtoolSession } from '../apply/ethtool-session.js';
import { locateDevices, viewNamespace } from '../apply/inspect.js';
import type { DeviceRecord, HostOriginal } from '../apply/record.js';
import { type FaultInjection, Transaction } from '../apply/transaction.js';
import { extractDevices } from '../config/extract.js';
import type { DeviceSpec } from '../config/model.js';
import { DeviceBusyError, InterruptedError, NetDevError, PolicyError, StepError, ValidationError, formatIssue } from '../errors.js';
import { type Observed, buildStatus } from '../status/device-status.js';
import { writeStatus } from '../status/status-store.js';
import { linkList } from '../netlink/link.js';
import { addrList } from '../netlink/addr.js';
import { RTNL } from '../netlink/constants.js';
import { formatIp } from '../config/ip.js';
import type { Log } from '../log.js';
import { openGeneric, openRoute } from '../netlink/open.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { checkPolicy, type Policy } from '../policy/policy.js';
import { fromRecords, removeContainerDir, removeJournal, writeDevices, writeJournal } from '../state/container-store.js';
import { processStartTime } from '../state/proc-start.js';
import type { ContainerDevice, ContainerRecord, Journal, TeardownMode } from '../state/records.js';
import { DeviceLocks, writeClaim, dropClaim } from '../state/device-lock.js';
import { pinNetnsPath, unpinNetns } from '../state/netns-pin.js';
import { StateDir } from '../state/state-dir.js';
import { bundleAnnotations, readBundleConfig } from './bundle-config.js';
import { Interrupts } from './interrupts.js';
import { NetnsFd, assertOwnNetns, netnsPathOf } from './netns.js';
import { type OciState, requirePid } from './oci-state.js';
import { recoverAbandoned } from './recover.js';

export interface CreateRuntimeOptions {
  stateDir: StateDir;
  teardown: TeardownMode;
  policy: Policy;
  deadlineSeconds?: number;
  faults?: FaultInjection;
  log: Log;
  /** The container's network namespace as a path (the NRI plugin: the pod's); default: /proc/<pid>/ns/net of the state's pid. */
  netnsPath?: string;
}

export interface CreateRuntimeResult {
  records: DeviceRecord[];
  specs: DeviceSpec[];
}

/** `config` is the bundle's config.json when the caller has read it already. */
export async function createRuntime(state: OciState, opts: CreateRuntimeOptions, config: unknown = readBundleConfig(state.bundle)): Promise<CreateRuntimeResult> {
  const annotations = { ...state.annotations, ...bundleAnnotations(config) };
  const specs = extractDevices(config, { annotations });
  if (specs.length === 0) return { records: [], specs };
  const { log, stateDir } = opts;
  try {
    const result = await moveAndConfigure(state, specs, opts);
    reportStatus(stateDir, state.id, specs, result.observed);
    return { records: result.records, specs };
  } catch (e) {
    reportStatus(stateDir, state.id, specs, new Map(), e);
    throw e;
  }
}

/** The status is a report: failing to write it must not hide the outcome. */
function reportStatus(dir: StateDir, id: string, specs: readonly DeviceSpec[], observed: ReadonlyMap<string, Observed>, error?: unknown): void {
  try {
    writeStatus(dir, id, buildStatus(specs, observed, error));
  } catch {
    /* nothing to add */
  }
}

async function moveAndConfigure(state: OciState, specs: DeviceSpec[], opts: CreateRuntimeOptions): Promise<{ records: DeviceRecord[]; observed: Map<string, Observed> }> {
  const { log, stateDir } = opts;
  const ctrPath = opts.netnsPath ?? netnsPathOf(requirePid(state, 'createRuntime'));
  assertOwnNetns(ctrPath);

  // A hook that died mid-apply (SIGKILL, power loss) left a journal: bring its devices home first.
  for (const r of recoverAbandoned(stateDir)) log.warn({ recovered: r.id, restored: r.restored, missing: r.missing, errors: r.errors, notes: r.notes }, 'recovered devices of an abandoned hook');

  const locks = DeviceLocks.acquire(stateDir, specs.map((s) => s.hostName), state.id);
  const interrupts = new Interrupts(opts.deadlineSeconds);
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
    const refused = checkPolicy(opts.policy, specs, hostView);
    if (refused.length > 0) throw new PolicyError(refused.map(formatIssue).join('; '));
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
    await interrupts.checkpoint().catch((e: unknown) => {
      throw e instanceof InterruptedError ? new InterruptedError(`${e.message}: nothing was changed`) : e;
    });

    const tx = new Transaction(
      {
        beforeStep: (device, step) => log.debug({ device, step }, 'step'),
        afterStep: (device, step) => log.info({ device, step }, 'done'),
      },
      opts.faults,
    );
    let journal: Journal | undefined;
    // The crash journal goes to disk before the first kernel change (the pin, then the moves).
    const beforeMove = (originals: ReadonlyMap<string, HostOriginal>): void => {
      journal = {
        version: 1, id: state.id, teardown: opts.teardown, hookPid: process.pid, hookStart: processStartTime(process.pid) ?? '',
        devices: specs.filter((s) => originals.has(s.hostName)).map((s) => journalDevice(s, originals.get(s.hostName)!, ethtool?.plans.get(s.hostName))),
      };
      if (opts.teardown === 'restore') journal.netnsPin = stateDir.containerFile(state.id, 'netns', true);
      writeJournal(stateDir, journal);
      if (journal.netnsPin !== undefined) pinNetnsPath(ctrPath, journal.netnsPin);
    };
    try {
      const env = {
        host, ctr, hostNetnsFd: hostFd.fd, ctrNetnsFd: ctrFd.fd, tx, beforeMove, checkpoint: interrupts.checkpoint,
        ...(ethtool !== undefined ? { ethtool: ethtoolApplier(() => session(ctrPath), ethtool.plans) } : {}),
      };
      const records = await applyDevices(env, targets, hostView, ctrView);
      await interrupts.checkpoint();
      const done: ContainerRecord = { version: 1, id: state.id, teardown: opts.teardown, devices: fromRecords(records) };
      if (journal?.netnsPin !== undefined) done.netnsPin = journal.netnsPin;
      // devices.json first: from here on the journal is stale (recovery drops it when both exist).
      if (journal !== undefined || records.length > 0) writeDevices(stateDir, done);
      // A claim keeps the name for the device's way home. With teardown=kernel there is no way home:
      // a later device of the same name on the host is a different device, free to give out.
      if (opts.teardown === 'restore') for (const r of records) if (!r.movedByRuntime) writeClaim(stateDir, r.hostName, state.id);
      if (journal !== undefined) removeJournal(stateDir, state.id);
      tx.commit();
      return { records, observed: observe(ctr, records) };
    } catch (e) {
      const undoErrors = tx.rollback();
      for (const u of undoErrors) log.error({ err: u.message }, 'undo failed');
      if (undoErrors.length === 0) forgetFailed(stateDir, state.id, journal);
      throw withRollbackOutcome(e, undoErrors, state.id);
    }
  } finally {
    interrupts.dispose();
    for (const s of sockets) s.close();
    for (const f of fds) f.close();
    locks.release();
  }
}

/** A journal entry: the host original, with the ethtool settings the plan will change (known before any move). */
function journalDevice(s: DeviceSpec, original: HostOriginal, plan: EthtoolPlan | undefined): ContainerDevice {
  const o: HostOriginal = { ...original, features: { ...original.features, ...plan?.featuresBefore }, privateFlags: { ...original.privateFlags, ...plan?.privateFlagsBefore } };
  return { hostName: s.hostName, containerName: s.containerName, original: o, ...(s.hardwareAddr !== undefined ? { hardwareAddr: s.hardwareAddr } : {}) };
}

/** The error to report after a rollback: the cause, plus what the rollback could not undo. */
function withRollbackOutcome(e: unknown, undoErrors: readonly Error[], id: string): unknown {
  const kept = `state kept: run "oci-netdevices recover ${id}"`;
  if (e instanceof InterruptedError) {
    return new InterruptedError(undoErrors.length === 0 ? `${e.message}: every change was rolled back` : `${e.message}; rollback incomplete: ${undoErrors.map((u) => u.message).join('; ')}; ${kept}`);
  }
  if (undoErrors.length === 0) return e;
  const withKept = [...undoErrors, new Error(kept)];
  if (e instanceof StepError) return e.withUndoErrors(withKept);
  return new StepError('apply', '*', e, withKept);
}

/** What the kernel says each device now is: name, MAC, global addresses. */
function observe(ctr: NetlinkSocket, records: readonly DeviceRecord[]): Map<string, Observed> {
  const links = ctr.run(linkList());
  const addrs = ctr.run(addrList());
  const out = new Map<string, Observed>();
  for (const r of records) {
    const link = links.find((l) => l.index === r.containerIndex);
    if (link === undefined) continue;
    const ips = addrs.filter((a) => a.index === link.index && a.scope === RTNL.RT_SCOPE_UNIVERSE).map((a) => `${formatIp(a.bytes)}/${a.prefixLength}`);
    out.set(r.hostName, { interfaceName: link.name, ips, ...(link.mac !== undefined ? { hardwareAddress: link.mac } : {}) });
  }
  return out;
}

/** After a clean rollback nothing of this container may stay behind (crun runs no poststop then). */
function forgetFailed(dir: StateDir, id: string, journal: Journal | undefined): void {
  if (journal === undefined) return;
  if (journal.netnsPin !== undefined) unpinNetns(journal.netnsPin);
  for (const d of journal.devices) dropClaim(dir, d.hostName, id);
  removeContainerDir(dir, id);
}

