/**
 * The createRuntime hook: validate everything, lock the devices, journal
 * their host state, then move and configure them inside one transaction.
 * Any failure (or a signal, or the deadline) rolls back every change and
 * leaves no pin, claim or state behind. The phases: hook-namespaces.ts (open and view),
 * move-plan.ts (claims, policy, devices, ethtool: before any change), apply-commit.ts
 * (journal, transaction, commit or rollback), then the read-back for the status.
 */
import { isAutoconfigured } from '../apply/apply-addressing.js';
import type { NamespaceView } from '../apply/inspect.js';
import type { DhcpLease } from '../dhcp/lease.js';
import { attachmentNameClashes, extractAttachments } from '../cni/extract.js';
import type { CniResult } from '../cni/result.js';
import { attachmentStatus } from '../cni/status.js';
import { podArgs } from '../cni/pod-args.js';
import { extractDevices } from '../config/extract.js';
import type { DeviceSpec } from '../config/model.js';
import { formatIp } from '../config/ip.js';
import { InterruptedError, UntrustedStateError, ValidationError } from '../errors.js';
import type { Log } from '../log.js';
import { addrList } from '../netlink/addr.js';
import { RTNL } from '../netlink/constants.js';
import { linkList } from '../netlink/link.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import type { Policy } from '../policy/policy.js';
import { type Observed, buildStatus } from '../status/device-status.js';
import { writeStatus } from '../status/status-store.js';
import { DeviceLocks } from '../state/device-lock.js';
import type { DeviceRecord } from '../state/device-record.js';
import type { TeardownMode } from '../state/records.js';
import { StateCollisionError, type StateDir } from '../state/state-dir.js';
import { existsSync } from 'node:fs';
import { type CniWork, applyAndCommit } from './apply-commit.js';
import { bundleAnnotations, readBundleConfig } from './bundle-config.js';
import { HookNamespaces } from './hook-namespaces.js';
import { type InterruptSource, Interrupts } from './interrupts.js';
import { SANDBOX_ID_ANNOTATION, planMoves } from './move-plan.js';
import { assertOwnNetns, netnsPathOf } from './netns.js';
import { type OciState, requirePid } from './oci-state.js';
import { recoverAbandoned } from './recover.js';

export interface CreateRuntimeOptions {
  stateDir: StateDir;
  teardown: TeardownMode;
  policy: Policy;
  deadlineSeconds?: number;
  log: Log;
  /** Directories holding CNI plugins (default: resolveCniPath()). */
  cniPath?: string[];
  /** PATH for CNI plugins: the hook's own (the daemon passes its request's); default this process's. */
  pluginPath?: string;
  /** The container's network namespace as a path (the NRI plugin: the pod's); default: /proc/<pid>/ns/net of the state's pid. */
  netnsPath?: string;
  /** The daemon: this request's signals and start time (default: the process's). */
  interrupts?: InterruptSource;
  /** Host interfaces asked for as CDI devices (src/cdi/hook-entries.ts), merged with the config's and the annotations' devices. */
  cdiDevices?: readonly string[];
}

export interface CreateRuntimeResult {
  records: DeviceRecord[];
  specs: DeviceSpec[];
}

/** `config` is the bundle's config.json when the caller has read it already. */
export async function createRuntime(state: OciState, opts: CreateRuntimeOptions, config: unknown = readBundleConfig(state.bundle)): Promise<CreateRuntimeResult> {
  const annotations = { ...state.annotations, ...bundleAnnotations(config) };
  const specs = extractDevices(config, { annotations, ...(opts.cdiDevices !== undefined ? { cdiDevices: opts.cdiDevices } : {}) });
  const attachments = extractAttachments(annotations, specs.map((s) => s.containerName));
  if (specs.length === 0 && attachments.length === 0) return { records: [], specs };
  const { log, stateDir } = opts;
  const cni = { attachments, results: new Map<string, CniResult>(), args: podArgs(annotations) };
  try {
    // The pod's sandbox id, from the state or config.json (containerd writes it into config.json).
    const result = await moveAndConfigure(state, specs, opts, cni, annotations[SANDBOX_ID_ANNOTATION]);
    reportStatus(stateDir, state.id, specs, result.observed, cni);
    return { records: result.records, specs };
  } catch (e) {
    // The status file of an id that has state is that container's report: left as it is.
    if (!(e instanceof StateCollisionError)) reportStatus(stateDir, state.id, specs, new Map(), cni, e);
    throw e;
  }
}

/** The status is a report: failing to write it must not hide the outcome. */
function reportStatus(dir: StateDir, id: string, specs: readonly DeviceSpec[], observed: ReadonlyMap<string, Observed>, cni: CniWork, error?: unknown): void {
  try {
    writeStatus(dir, id, [...buildStatus(specs, observed, error), ...attachmentStatus(cni.attachments, cni.results, error)]);
  } catch {
    /* nothing to add */
  }
}

async function moveAndConfigure(state: OciState, allSpecs: DeviceSpec[], opts: CreateRuntimeOptions, cni: CniWork, sandbox: string | undefined): Promise<{ records: DeviceRecord[]; observed: Map<string, Observed> }> {
  const { log, stateDir } = opts;
  const ctrPath = opts.netnsPath ?? netnsPathOf(requirePid(state, 'createRuntime'));
  assertOwnNetns(ctrPath);
  recoverAbandonedLogged(stateDir, log);
  // An id with live state belongs to that state: refused before any lock, pin or change (the
  // exclusive claimContainerDir in apply-commit.ts closes the race with a second hook of the same id).
  const own = stateDir.containerDir(state.id, false);
  if (existsSync(own)) throw new StateCollisionError(state.id, own);

  const locks = DeviceLocks.acquire(stateDir, allSpecs.map((s) => s.hostName), state.id, { others: 'report' });
  const interrupts = new Interrupts(opts.deadlineSeconds, opts.interrupts);
  let ns: HookNamespaces | undefined;
  try {
    ns = new HookNamespaces(ctrPath, allSpecs.map((s) => s.hostName));
    const plan = planMoves(allSpecs, locks.claimedByOthers, ns, { dir: stateDir, policy: opts.policy, log, sandbox });
    const observed = observeLinks(ns.ctrView, [...plan.shared].map(([hostName, link]) => ({ hostName, index: link.index })));
    if (plan.targets.length === 0 && cni.attachments.length === 0) return { records: [], observed };
    const clashes = attachmentNameClashes(cni.attachments, ns.ctrView.links.map((l) => l.name), plan.targets.map((t) => ({ hostName: t.spec.hostName, containerName: t.containerName })));
    if (clashes.length > 0) throw new ValidationError(clashes);
    await interrupts.checkpoint().catch((e: unknown) => {
      throw e instanceof InterruptedError ? new InterruptedError(`${e.message}: nothing was changed`) : e;
    });
    const records = await applyAndCommit(state, plan, cni, ns, {
      dir: stateDir, teardown: opts.teardown, log, checkpoint: interrupts.checkpoint,
      ...(interrupts.deadlineAt !== undefined ? { deadlineAt: interrupts.deadlineAt } : {}),
      ...(opts.cniPath !== undefined ? { cniPath: opts.cniPath } : {}),
      ...(opts.pluginPath !== undefined ? { pluginPath: opts.pluginPath } : {}),
    });
    // The read-back for the status report runs after commit and outside the rollback's reach:
    // a failure here costs the report its details, never the committed devices.
    try {
      for (const [k, v] of observe(ns.ctr, records)) observed.set(k, v);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'could not read the devices back for the status report');
    }
    return { records, observed };
  } finally {
    interrupts.dispose();
    ns?.close();
    locks.release();
  }
}

/**
 * A hook that died mid-apply (SIGKILL, power loss) left a journal: bring its devices home first.
 * Each container's record on its own: one that cannot be recovered is logged, never blocks this start,
 * unless it cannot be trusted (anyone could have planted it): then the state directory needs an admin
 * first, and nothing starts.
 */
function recoverAbandonedLogged(dir: StateDir, log: Log): void {
  for (const r of recoverAbandoned(dir)) {
    if (r.refused === 'untrusted') throw new UntrustedStateError(`container ${r.id}: ${r.errors.join('; ')}`);
    if (r.errors.length > 0) log.error({ recovered: r.id, restored: r.restored, missing: r.missing, errors: r.errors, notes: r.notes }, 'could not recover an abandoned container; skipped');
    else log.warn({ recovered: r.id, restored: r.restored, missing: r.missing, notes: r.notes }, 'recovered devices of an abandoned hook');
  }
}

/** What the kernel says each device now is: name, MAC, global addresses. */
function observe(ctr: NetlinkSocket, records: readonly DeviceRecord[]): Map<string, Observed> {
  return observeLinks({ links: ctr.run(linkList()), addrs: ctr.run(addrList()) }, records.map((r) => ({ hostName: r.hostName, index: r.containerIndex, ...(r.dhcpLease !== undefined ? { dhcpLease: r.dhcpLease } : {}) })));
}

function observeLinks({ links, addrs }: Pick<NamespaceView, 'links' | 'addrs'>, devices: ReadonlyArray<{ hostName: string; index: number; dhcpLease?: DhcpLease }>): Map<string, Observed> {
  const out = new Map<string, Observed>();
  for (const r of devices) {
    const link = links.find((l) => l.index === r.index);
    if (link === undefined) continue;
    const ips = addrs.filter((a) => a.index === link.index && a.scope === RTNL.RT_SCOPE_UNIVERSE).map((a) => `${formatIp(a.bytes)}/${a.prefixLength}`);
    const autoconfigured = addrs.filter((a) => a.index === link.index && isAutoconfigured(a)).map((a) => `${formatIp(a.bytes)}/${a.prefixLength}`);
    out.set(r.hostName, {
      interfaceName: link.name, ips, autoconfigured,
      ...(link.mac !== undefined ? { hardwareAddress: link.mac } : {}), ...(r.dhcpLease !== undefined ? { dhcpLease: r.dhcpLease } : {}),
    });
  }
  return out;
}
