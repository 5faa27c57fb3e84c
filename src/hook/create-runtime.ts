/**
 * The createRuntime hook: validate everything, lock the devices, journal
 * their host state, then move and configure them inside one transaction.
 * Any failure (or a signal, or the deadline) rolls back every change and
 * leaves no pin, claim or state behind.
 */
import { applyDevices } from '../apply/apply-devices.js';
import { ethtoolApplier, planAll } from '../ethtool/apply.js';
import { type EthtoolPlan, wantsEthtool } from '../ethtool/plan.js';
import { EthtoolSession } from '../ethtool/session.js';
import { type DeviceTarget, type NamespaceView, locateDevices, viewNamespace } from '../apply/inspect.js';
import type { DeviceRecord, HostOriginal } from '../apply/record.js';
import { type FaultInjection, Transaction } from '../apply/transaction.js';
import { extractDevices } from '../config/extract.js';
import type { DeviceSpec } from '../config/model.js';
import { DeviceBusyError, InterruptedError, UntrustedStateError, NetDevError, PolicyError, StepError, ValidationError, formatIssue } from '../errors.js';
import { type Observed, buildStatus } from '../status/device-status.js';
import { writeStatus } from '../status/status-store.js';
import { type Link, linkList } from '../netlink/link.js';
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
import { StateCollisionError, StateDir } from '../state/state-dir.js';
import { bundleAnnotations, readBundleConfig } from './bundle-config.js';
import { Interrupts } from './interrupts.js';
import { NetnsFd, assertOwnNetns, netnsPathOf } from './netns.js';
import { type OciState, requirePid } from './oci-state.js';
import { recoverAbandoned } from './recover.js';
import { inKernelContext, kernelStep } from './kernel-context.js';
import { type ClaimContext, judgeClaim } from './claim-check.js';
import type { DeviceIdentity } from '../state/identity.js';
import { existsSync, fstatSync } from 'node:fs';

/** containerd's CRI puts the pod sandbox's id on every container of the pod. */
const SANDBOX_ID_ANNOTATION = 'io.kubernetes.cri.sandbox-id';
// CNI attachments (issue 15): run after the netDevices are in place, inside the same transaction.
import { extractAttachments } from '../cni/extract.js';
import type { CniAttachment } from '../cni/model.js';
import type { CniResult } from '../cni/result.js';
import { addAttachments } from '../cni/attach.js';
import { attachmentStatus } from '../cni/status.js';
import { podArgs } from '../cni/pod-args.js';
import { resolveCniPath } from '../cni/cni-path.js';

export interface CreateRuntimeOptions {
  stateDir: StateDir;
  teardown: TeardownMode;
  policy: Policy;
  deadlineSeconds?: number;
  faults?: FaultInjection;
  log: Log;
  /** Directories holding CNI plugins (default: resolveCniPath()). */
  cniPath?: string[];
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
  const attachments = extractAttachments(annotations, specs.map((s) => s.containerName));
  if (specs.length === 0 && attachments.length === 0) return { records: [], specs };
  const { log, stateDir } = opts;
  const cni = { attachments, results: new Map<string, CniResult>(), args: podArgs(annotations) };
  try {
    const result = await moveAndConfigure(state, specs, opts, cni);
    reportStatus(stateDir, state.id, specs, result.observed, cni);
    return { records: result.records, specs };
  } catch (e) {
    // The status file of an id that has state is that container's report: left as it is.
    if (!(e instanceof StateCollisionError)) reportStatus(stateDir, state.id, specs, new Map(), cni, e);
    throw e;
  }
}

/** What createRuntime runs through CNI: the validated attachments, their CNI_ARGS, and the results as they come. */
interface CniWork {
  attachments: CniAttachment[];
  results: Map<string, CniResult>;
  args: Array<[string, string]>;
}

/** The status is a report: failing to write it must not hide the outcome. */
function reportStatus(dir: StateDir, id: string, specs: readonly DeviceSpec[], observed: ReadonlyMap<string, Observed>, cni: CniWork, error?: unknown): void {
  try {
    writeStatus(dir, id, [...buildStatus(specs, observed, error), ...attachmentStatus(cni.attachments, cni.results, error)]);
  } catch {
    /* nothing to add */
  }
}

async function moveAndConfigure(state: OciState, allSpecs: DeviceSpec[], opts: CreateRuntimeOptions, cni: CniWork): Promise<{ records: DeviceRecord[]; observed: Map<string, Observed> }> {
  const { log, stateDir } = opts;
  const ctrPath = opts.netnsPath ?? netnsPathOf(requirePid(state, 'createRuntime'));
  // Without a pid (an NRI pod given by its netns path) recovery has only the pin to enter the netns by.
  const pid = state.pid;
  assertOwnNetns(ctrPath);

  // A hook that died mid-apply (SIGKILL, power loss) left a journal: bring its devices home first.
  // Each container's record on its own: one that cannot be recovered is logged, never blocks this start.
  for (const r of recoverAbandoned(stateDir)) {
    // A record we cannot trust (anyone could have planted it) refuses the start: the state directory needs an
    // admin first. A trusted record that is merely broken is logged and skipped below, never acted on.
    if (r.refused === 'untrusted') throw new UntrustedStateError(`container ${r.id}: ${r.errors.join('; ')}`);
    if (r.errors.length > 0) log.error({ recovered: r.id, restored: r.restored, missing: r.missing, errors: r.errors, notes: r.notes }, 'could not recover an abandoned container; skipped');
    else log.warn({ recovered: r.id, restored: r.restored, missing: r.missing, notes: r.notes }, 'recovered devices of an abandoned hook');
  }

  // An id with live state belongs to that state: refused before any lock, pin or change (claimContainerDir
  // below closes the race with a second hook of the same id).
  if (existsSync(stateDir.containerDir(state.id, false))) throw new StateCollisionError(state.id, stateDir.containerDir(state.id, false));

  const locks = DeviceLocks.acquire(stateDir, allSpecs.map((s) => s.hostName), state.id, { others: 'report' });
  const interrupts = new Interrupts(opts.deadlineSeconds);
  const sockets: NetlinkSocket[] = [];
  const fds: NetnsFd[] = [];
  let committed: { ctr: NetlinkSocket; records: DeviceRecord[]; observed: Map<string, Observed> } | undefined;
  try {
    const host = openRoute(null);
    sockets.push(host);
    const ctr = openRoute(ctrPath);
    sockets.push(ctr);
    const hostFd = new NetnsFd('/proc/self/ns/net');
    fds.push(hostFd);
    const ctrFd = new NetnsFd(ctrPath);
    fds.push(ctrFd);
    const hostNetnsIno = fstatSync(hostFd.fd).ino;
    const ctrNetnsIno = fstatSync(ctrFd.fd).ino;

    const names = allSpecs.map((s) => s.hostName);
    const hostView = kernelStep('reading the host network namespace (links, addresses, routes)', names, () => viewNamespace(host, { addrs: true, routes: true }));
    const ctrView = kernelStep("reading the container's network namespace (links, addresses)", names, () => viewNamespace(ctr, { addrs: true }));
    const shared = judgeClaims(stateDir, state, locks.claimedByOthers, { hostLinks: hostView.links, ctrLinks: ctrView.links, ctrNetnsIno }, log);
    // Devices a live claim already moved into this very netns (a pod's sandbox) are there: nothing to move.
    const observedShared = observeLinks(ctrView, [...shared].map(([hostName, link]) => ({ hostName, index: link.index })));
    const specs = allSpecs.filter((s) => !shared.has(s.hostName));
    if (specs.length === 0 && cni.attachments.length === 0) return { records: [], observed: observedShared };
    const refused = checkPolicy(opts.policy, specs, hostView);
    if (refused.length > 0) throw new PolicyError(refused.map(formatIssue).join('; '));
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
    const ethtool = targets.some((t) => wantsEthtool(t.spec))
      ? kernelStep('reading ethtool features and private flags', targets.filter((t) => wantsEthtool(t.spec)).map((t) => t.spec.hostName), () => planAll(targets, (t) => session(t.hostLink !== undefined ? null : ctrPath)))
      : undefined;
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
    const beforeMove = (originals: ReadonlyMap<string, HostOriginal>, identities: ReadonlyMap<string, DeviceIdentity>): void => {
      // Exclusive: until it exists, nothing of ours is there for a rollback to remove.
      stateDir.claimContainerDir(state.id);
      journal = {
        version: 1, id: state.id, teardown: opts.teardown, hookPid: process.pid, hookStart: processStartTime(process.pid) ?? '',
        devices: targets.filter((t) => originals.has(t.spec.hostName)).map((t) => journalDevice(t, originals.get(t.spec.hostName)!, identities.get(t.spec.hostName)!, ethtool?.plans.get(t.spec.hostName))),
      };
      const containerStart = pid !== undefined ? processStartTime(pid) : undefined;
      if (pid !== undefined && containerStart !== undefined) {
        journal.containerPid = pid;
        journal.containerStart = containerStart;
      }
      if (opts.teardown === 'restore') journal.netnsPin = stateDir.containerFile(state.id, 'netns', true);
      writeJournal(stateDir, journal);
      if (journal.netnsPin !== undefined) pinNetnsPath(ctrPath, journal.netnsPin);
    };
    try {
      const env = {
        host, ctr, hostNetnsFd: hostFd.fd, ctrNetnsFd: ctrFd.fd, hostNetnsIno, ctrNetnsIno, tx, beforeMove, checkpoint: interrupts.checkpoint,
        ...(ethtool !== undefined ? { ethtool: ethtoolApplier(() => session(ctrPath), ethtool.plans) } : {}),
      };
      const records = await applyDevices(env, targets, hostView, ctrView);
      await interrupts.checkpoint();
      if (cni.attachments.length > 0) {
        if (journal === undefined) beforeMove(new Map(), new Map());
        const netns = journal!.netnsPin ?? ctrPath;
        const found = await addAttachments(cni.attachments, { dir: stateDir, id: state.id, netns, args: cni.args, cniPath: opts.cniPath ?? resolveCniPath(undefined), tx, checkpoint: interrupts.checkpoint });
        for (const [k, v] of found) cni.results.set(k, v);
        await interrupts.checkpoint();
      }
      const done: ContainerRecord = { version: 1, id: state.id, teardown: opts.teardown, devices: fromRecords(records) };
      if (journal?.netnsPin !== undefined) done.netnsPin = journal.netnsPin;
      // devices.json first: from here on the journal is stale (recovery drops it when both exist).
      if (journal !== undefined || records.length > 0) writeDevices(stateDir, done);
      // A claim keeps the name for the device's way home. With teardown=kernel there is no way home:
      // a later device of the same name on the host is a different device, free to give out.
      if (opts.teardown === 'restore') for (const r of records) if (!r.movedByRuntime) writeClaim(stateDir, r.hostName, state.id);
      if (journal !== undefined) removeJournal(stateDir, state.id);
      tx.commit();
      committed = { ctr, records, observed: observedShared };
    } catch (e) {
      const undoErrors = tx.rollback();
      for (const u of undoErrors) log.error({ err: u.message }, 'undo failed');
      if (undoErrors.length === 0) forgetFailed(stateDir, state.id, journal);
      // A kernel call between steps (the link list after the move, a route list, an ethtool read-back).
      throw withRollbackOutcome(inKernelContext(e, 'moving and configuring', targets.map((t) => t.spec.hostName)), undoErrors, state.id);
    }
    // The read-back for the status report runs after commit and outside the rollback's reach:
    // a failure here costs the report its details, never the committed devices.
    try {
      for (const [k, v] of observe(committed.ctr, committed.records)) committed.observed.set(k, v);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'could not read the devices back for the status report');
    }
    return { records: committed.records, observed: committed.observed };
  } finally {
    interrupts.dispose();
    for (const s of sockets) s.close();
    for (const f of fds) f.close();
    locks.release();
  }
}

/** A journal entry: the host original, with the ethtool settings the plan will change (known before any move). */
function journalDevice(t: DeviceTarget, original: HostOriginal, identity: DeviceIdentity, plan: EthtoolPlan | undefined): ContainerDevice {
  const s = t.spec;
  const o: HostOriginal = { ...original, features: { ...original.features, ...plan?.featuresBefore }, privateFlags: { ...original.privateFlags, ...plan?.privateFlagsBefore } };
  return { hostName: s.hostName, containerName: t.containerName, original: o, identity: { ...identity }, ...(s.hardwareAddr !== undefined ? { hardwareAddr: s.hardwareAddr } : {}) };
}

/**
 * Claims by other containers, judged by identity: a stale one is released (logged), a device
 * already in this netns is shared (returned: nothing to move), a live one refuses the start.
 */
function judgeClaims(dir: StateDir, state: OciState, claims: ReadonlyMap<string, string>, ctx: ClaimContext, log: Log): Map<string, Link> {
  const shared = new Map<string, Link>();
  const sandbox = state.annotations?.[SANDBOX_ID_ANNOTATION];
  for (const [name, owner] of claims) {
    const v = judgeClaim(dir, name, owner, ctx);
    if (v.kind === 'stale') {
      dropClaim(dir, name, owner);
      log.warn({ device: name, claimedBy: owner, why: v.why }, 'released a stale claim');
    } else if (v.kind === 'shared') {
      shared.set(name, v.link);
      log.info({ device: name, movedBy: owner, as: v.link.name, sandbox: owner === sandbox }, 'device already in this network namespace (shared with the container that moved it)');
    } else {
      const pod = owner === sandbox ? ` (this pod's sandbox, but the device is not in this container's network namespace)` : '';
      throw new DeviceBusyError(`device ${JSON.stringify(name)} is claimed by container ${owner}${pod}: ${v.why}`);
    }
  }
  return shared;
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
  return observeLinks({ links: ctr.run(linkList()), addrs: ctr.run(addrList()) }, records.map((r) => ({ hostName: r.hostName, index: r.containerIndex })));
}

function observeLinks({ links, addrs }: Pick<NamespaceView, 'links' | 'addrs'>, devices: ReadonlyArray<{ hostName: string; index: number }>): Map<string, Observed> {
  const out = new Map<string, Observed>();
  for (const r of devices) {
    const link = links.find((l) => l.index === r.index);
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

