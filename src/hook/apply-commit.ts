/**
 * createRuntime's apply phase: the crash journal (on disk before the first kernel change), the
 * moves and configuration in one transaction, the CNI attachments in the same transaction, then
 * the commit (devices.json, claims, journal dropped) or the rollback of every change.
 */
import { startApplying, stopApplying } from '../state/applying.js';
import { applyDevices } from '../apply/apply-devices.js';
import type { DeviceTarget } from '../apply/inspect.js';
import { Transaction } from '../apply/transaction.js';
import { addAttachments } from '../cni/attach.js';
import { resolveCniPath } from '../cni/cni-path.js';
import type { CniAttachment } from '../cni/model.js';
import type { CniResult } from '../cni/result.js';
import type { DhcpLease } from '../dhcp/lease.js';
import type { EthtoolPlan } from '../ethtool/plan.js';
import { InterruptedError, NetDevError, StepError } from '../errors.js';
import type { Log } from '../log.js';
import { fromRecords, removeContainerDir, removeJournal, writeDevices, writeJournal } from '../state/container-store.js';
import type { DeviceRecord, HostOriginal, Loss } from '../state/device-record.js';
import { readHostExtras } from '../apply/host-extras.js';
import { formatLosses } from '../apply/losses.js';
import type { Link } from '../netlink/link.js';
import { dropClaim, writeClaim } from '../state/device-lock.js';
import type { DeviceIdentity } from '../state/identity.js';
import { pinNetnsPath, unpinNetns } from '../state/netns-pin.js';
import { ownStartTime, processStartTime } from '../state/proc-start.js';
import type { ContainerDevice, ContainerRecord, Journal, TeardownMode } from '../state/records.js';
import type { StateDir } from '../state/state-dir.js';
import type { HookNamespaces } from './hook-namespaces.js';
import { inKernelContext } from './kernel-context.js';
import type { MovePlan } from './move-plan.js';
import type { OciState } from './oci-state.js';

/** What createRuntime runs through CNI: the validated attachments, their CNI_ARGS, and the results as they come. */
export interface CniWork {
  attachments: CniAttachment[];
  results: Map<string, CniResult>;
  args: Array<[string, string]>;
}

export interface ApplyContext {
  dir: StateDir;
  teardown: TeardownMode;
  log: Log;
  cniPath?: string[];
  /** PATH for CNI plugins (the hook's). */
  pluginPath?: string;
  checkpoint: () => Promise<void>;
  /** The hook's deadline (epoch ms, --timeout): no CNI ADD may run past it. */
  deadlineAt?: number;
}

/** Applies the plan; returns the committed records, or throws after rolling everything back. */
export async function applyAndCommit(state: OciState, plan: MovePlan, cni: CniWork, ns: HookNamespaces, ctx: ApplyContext): Promise<DeviceRecord[]> {
  const { dir, log } = ctx;
  const tx = new Transaction({
    beforeStep: (device, step) => log.debug({ device, step }, 'step'),
    afterStep: (device, step) => log.info({ device, step }, 'done'),
  });
  let journal: Journal | undefined;
  // The crash journal goes to disk before the first kernel change (the pin, then the moves).
  const beforeMove = (originals: ReadonlyMap<string, HostOriginal>, identities: ReadonlyMap<string, DeviceIdentity>): Journal => {
    // Exclusive: another hook of the same id may have started meanwhile (StateCollisionError);
    // until the directory is ours, nothing is there for a rollback to remove.
    dir.claimContainerDir(state.id);
    journal = newJournal(state, ctx.teardown, plan, originals, identities);
    if (ctx.teardown === 'restore') journal.netnsPin = dir.containerFile(state.id, 'netns', true);
    writeJournal(dir, journal);
    if (journal.netnsPin !== undefined) pinNetnsPath(ns.ctrPath, journal.netnsPin);
    return journal;
  };
  startApplying(state.id);
  // A rolled-back move comes home the way a teardown brings it, and reports what it could not restore.
  const losses: Loss[] = [];
  try {
    const env = {
      host: ns.host, ctr: ns.ctr, hostNetnsFd: ns.hostFd.fd, ctrNetnsFd: ns.ctrFd.fd, hostNetnsIno: ns.hostNetnsIno, ctrNetnsIno: ns.ctrNetnsIno,
      tx, beforeMove, checkpoint: ctx.checkpoint,
      hostExtras: (link: Link) => readHostExtras(link, () => ns.ethtool(false)),
      home: { ethtool: () => ns.ethtool(false) },
      losses,
      // A hook killed after the lease leaves a journal whose recovery releases it.
      onLease: (hostName: string, lease: DhcpLease) => {
        const d = journal?.devices.find((x) => x.hostName === hostName);
        if (journal === undefined || d === undefined) return;
        d.dhcpLease = lease;
        writeJournal(dir, journal);
      },
      ...(plan.ethtool !== undefined ? { ethtool: plan.ethtool.apply } : {}),
    };
    const records = await applyDevices(env, plan.targets, ns.hostView, ns.ctrView);
    await ctx.checkpoint();
    if (cni.attachments.length > 0) {
      const netns = (journal ?? beforeMove(new Map(), new Map())).netnsPin ?? ns.ctrPath;
      const found = await addAttachments(cni.attachments, {
        dir, id: state.id, netns, args: cni.args, cniPath: ctx.cniPath ?? resolveCniPath(undefined), tx, checkpoint: ctx.checkpoint,
        ...(ctx.pluginPath !== undefined ? { path: ctx.pluginPath } : {}),
        warn: (message) => log.warn({}, message),
        ...(ctx.deadlineAt !== undefined ? { deadlineAt: ctx.deadlineAt } : {}),
      });
      for (const [k, v] of found) cni.results.set(k, v);
      await ctx.checkpoint();
    }
    commit(state.id, dir, ctx.teardown, records, journal);
    tx.commit();
    return records;
  } catch (e) {
    const undoErrors = tx.rollback();
    for (const u of undoErrors) log.error({ err: u.message }, 'undo failed');
    for (const l of losses) log.error({ device: l.device, lost: l.what, why: l.why }, 'rolled back with a loss: not restored');
    if (undoErrors.length === 0) forgetFailed(dir, state.id, journal);
    // A kernel call between steps (the link list after the move, a route list, an ethtool read-back).
    throw withRollbackOutcome(inKernelContext(e, 'moving and configuring', plan.targets.map((t) => t.spec.hostName)), undoErrors, state.id, losses);
  } finally {
    stopApplying(state.id);
  }
}

function newJournal(state: OciState, teardown: TeardownMode, plan: MovePlan, originals: ReadonlyMap<string, HostOriginal>, identities: ReadonlyMap<string, DeviceIdentity>): Journal {
  const devices: ContainerDevice[] = [];
  for (const t of plan.targets) {
    const original = originals.get(t.spec.hostName);
    const identity = identities.get(t.spec.hostName);
    if (original !== undefined && identity !== undefined) devices.push(journalDevice(t, original, identity, plan.ethtool?.plans.get(t.spec.hostName)));
  }
  const journal: Journal = { version: 1, id: state.id, teardown, hookPid: process.pid, hookStart: ownStartTime() ?? '', devices };
  // Without a pid (an NRI pod given by its netns path) recovery has only the pin to enter the netns by.
  const containerStart = state.pid !== undefined ? processStartTime(state.pid) : undefined;
  if (state.pid !== undefined && containerStart !== undefined) {
    journal.containerPid = state.pid;
    journal.containerStart = containerStart;
  }
  return journal;
}

/** devices.json first: from then on the journal is stale (recovery drops it when both exist). */
function commit(id: string, dir: StateDir, teardown: TeardownMode, records: readonly DeviceRecord[], journal: Journal | undefined): void {
  const done: ContainerRecord = { version: 1, id, teardown, devices: fromRecords(records) };
  if (journal?.netnsPin !== undefined) done.netnsPin = journal.netnsPin;
  if (journal !== undefined || records.length > 0) writeDevices(dir, done);
  // A claim keeps the name for the device's way home. With teardown=kernel there is no way home:
  // a later device of the same name on the host is a different device, free to give out.
  // An ipvlan child leaves its parent on the host, free for other containers' children.
  if (teardown === 'restore') for (const r of records) if (!r.movedByRuntime && r.child === undefined) writeClaim(dir, r.hostName, id);
  if (journal !== undefined) removeJournal(dir, id);
}

/** A journal entry: the host original, with the ethtool settings the plan will change (known before any move). */
function journalDevice(t: DeviceTarget, original: HostOriginal, identity: DeviceIdentity, plan: EthtoolPlan | undefined): ContainerDevice {
  const s = t.spec;
  const o: HostOriginal = { ...original, features: { ...original.features, ...plan?.featuresBefore }, privateFlags: { ...original.privateFlags, ...plan?.privateFlagsBefore } };
  return { hostName: s.hostName, containerName: t.containerName, original: o, identity: { ...identity }, ...(s.hardwareAddr !== undefined ? { hardwareAddr: s.hardwareAddr } : {}) };
}

/** The error to report after a rollback: the cause, plus what the rollback could not undo. */
function withRollbackOutcome(e: unknown, undoErrors: readonly Error[], id: string, losses: readonly Loss[] = []): unknown {
  const kept = `state kept: run "oci-netdevices recover ${id}"`;
  if (losses.length > 0 && undoErrors.length === 0 && e instanceof NetDevError) {
    // The devices came home; what they lost is said with the cause, under the cause's exit code.
    e.message = `${e.message}; rolled back with losses: ${formatLosses(losses)}`;
    return e;
  }
  if (e instanceof InterruptedError) {
    return new InterruptedError(undoErrors.length === 0 ? `${e.message}: every change was rolled back` : `${e.message}; rollback incomplete: ${undoErrors.map((u) => u.message).join('; ')}; ${kept}`);
  }
  if (undoErrors.length === 0) return e;
  const withKept = [...undoErrors, new Error(kept)];
  if (e instanceof StepError) return e.withUndoErrors(withKept);
  return new StepError('apply', '*', e, withKept);
}

/** After a clean rollback nothing of this container may stay behind (crun runs no poststop then). */
function forgetFailed(dir: StateDir, id: string, journal: Journal | undefined): void {
  if (journal === undefined) return;
  if (journal.netnsPin !== undefined) unpinNetns(journal.netnsPin);
  for (const d of journal.devices) dropClaim(dir, d.hostName, id);
  removeContainerDir(dir, id);
}
