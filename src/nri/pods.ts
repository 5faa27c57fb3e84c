/**
 * What the plugin does with pods, with the hook's engine: devices move into a
 * pod's netns when the pod sandbox runs (createRuntime: transaction, journal,
 * claims, status; the pod sandbox id is the state's container id) and come
 * home when it stops (poststop). A pod whose setup failed gets its containers
 * refused at CreateContainer, so no workload runs silently without its devices.
 */
import { requestsDevices } from '../config/extract.js';
import { ValidationError } from '../errors.js';
import { createRuntime } from '../hook/create-runtime.js';
import type { OciState } from '../hook/oci-state.js';
import { poststop } from '../hook/poststop.js';
import { recoverAbandoned } from '../hook/recover.js';
import type { Log } from '../log.js';
import { type Policy } from '../policy/policy.js';
import { readDevices } from '../state/container-store.js';
import type { TeardownMode } from '../state/records.js';
import type { StateDir } from '../state/state-dir.js';
import { removeStatus } from '../status/status-store.js';
import { listMarkedPods, readMarker, removeMarker, writeMarker } from './pod-store.js';
import type { Container, PodSandbox } from './proto.js';

export interface PodEngineOptions {
  stateDir: StateDir;
  /** Read at every pod, so a changed policy file needs no restart. */
  policy: () => Policy;
  teardown: (policy: Policy) => TeardownMode;
  log: Log;
  /** Directories holding CNI plugins (--cni-path / OCI_NETDEVICES_CNI_PATH; default: resolveCniPath()). */
  cniPath?: string[];
}

/** The pod's network namespace path, or undefined for a host-network pod. */
export function podNetns(pod: PodSandbox): string | undefined {
  const ns = pod.linux?.namespaces.find((n) => n.type === 'network');
  return ns !== undefined && ns.path !== '' ? ns.path : undefined;
}

export function podAsksForDevices(pod: PodSandbox): boolean {
  return requestsDevices({}, pod.annotations);
}

export class PodDevices {
  /** One pod operation at a time: events, reconciliation and barriers see each other's results. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Why a pod's setup failed, for its containers' refusal. A restarted plugin retries at Synchronize and learns it again. */
  private readonly failures = new Map<string, string>();

  constructor(private readonly opts: PodEngineOptions) {}

  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** RUN_POD_SANDBOX. Throws the reason when the pod cannot get its devices. */
  runPod(pod: PodSandbox): Promise<void> {
    return this.serial(() => this.setUp(pod));
  }

  /** STOP_POD_SANDBOX (remove = false) and REMOVE_POD_SANDBOX (remove = true). Idempotent. */
  stopPod(pod: PodSandbox, remove: boolean): Promise<void> {
    return this.serial(() => this.tearDown(pod.id, remove));
  }

  /** CreateContainer: the barrier. Throws when the container's pod did not get its devices. */
  admit(pod: PodSandbox, container: Container): Promise<void> {
    return this.serial(() => {
      const why = this.failures.get(pod.id) ?? (podAsksForDevices(pod) && readDevices(this.opts.stateDir, pod.id) === undefined ? 'its devices were not set up' : undefined);
      if (why !== undefined) throw new Error(`oci-netdevices: container ${container.name || container.id} of pod ${pod.namespace}/${pod.name} refused: ${why}`);
    });
  }

  /**
   * Synchronize: journals of a plugin killed mid-apply are recovered (devices
   * home), pods that went away while we were down give their devices back,
   * and running pods that ask for devices and have none get them now. A pod
   * set up already is never set up twice.
   */
  reconcile(pods: readonly PodSandbox[]): Promise<void> {
    return this.serial(async () => {
      const { stateDir, log } = this.opts;
      for (const r of recoverAbandoned(stateDir)) log.warn({ recovered: r.id, restored: r.restored, missing: r.missing, errors: r.errors }, 'recovered devices of an interrupted setup');
      const present = new Map(pods.map((p) => [p.id, p]));
      for (const id of listMarkedPods(stateDir)) {
        if (present.has(id)) continue;
        log.info({ pod: id }, 'pod gone while the plugin was away: its devices come home');
        await this.tearDown(id, true).catch((e: unknown) => log.error({ pod: id, err: (e as Error).message }, 'teardown failed'));
      }
      for (const pod of pods) {
        if (!podAsksForDevices(pod) || readDevices(stateDir, pod.id) !== undefined) continue;
        await this.setUp(pod).catch(() => undefined); // logged and marked by setUp
      }
    });
  }

  private async setUp(pod: PodSandbox): Promise<void> {
    const { stateDir, log } = this.opts;
    if (!podAsksForDevices(pod)) return;
    if (readDevices(stateDir, pod.id) !== undefined) return; // set up already (a repeated event, a resync)
    const netns = podNetns(pod);
    let marked = false;
    try {
      if (netns === undefined) {
        throw new ValidationError([{ path: 'pod.linux.namespaces', message: `pod ${pod.namespace}/${pod.name} uses the host network; devices need a pod network namespace of its own` }]);
      }
      writeMarker(stateDir, { id: pod.id, name: pod.name, namespace: pod.namespace, uid: pod.uid, netns });
      marked = true;
      const policy = this.opts.policy();
      const state: OciState = { ociVersion: '', id: pod.id, status: 'creating', bundle: '/', annotations: {} };
      const config = { linux: { namespaces: [{ type: 'network', path: netns }] }, annotations: pod.annotations };
      const { records } = await createRuntime(state, { stateDir, policy, teardown: this.opts.teardown(policy), log, netnsPath: netns, ...(this.opts.cniPath !== undefined ? { cniPath: this.opts.cniPath } : {}) }, config);
      this.failures.delete(pod.id);
      log.info({ pod: pod.id, name: `${pod.namespace}/${pod.name}`, devices: records.map((r) => ({ host: r.hostName, container: r.containerName })) }, 'pod devices ready');
    } catch (e) {
      const failure = e instanceof Error ? e.message : String(e);
      this.failures.set(pod.id, failure);
      // createRuntime rolled back and left only the status (saying why), as the hook does.
      if (marked && readDevices(stateDir, pod.id) === undefined) removeMarker(stateDir, pod.id);
      log.error({ pod: pod.id, name: `${pod.namespace}/${pod.name}`, err: failure }, 'pod devices failed');
      throw e;
    }
  }

  private async tearDown(id: string, remove: boolean): Promise<void> {
    const { stateDir, log } = this.opts;
    const failed = this.failures.has(id);
    if (remove) this.failures.delete(id);
    if (readMarker(stateDir, id) === undefined) {
      if (failed && remove) removeStatus(stateDir, id); // the failed setup's report, kept until the pod goes
      return; // not a pod of ours, or its failed setup cleaned up after itself
    }
    const r = poststop(id, stateDir);
    if (r !== undefined) log.info({ pod: id, restored: r.restored, missing: r.missing, notes: r.notes }, 'pod devices returned to the host');
    for (const l of r?.losses ?? []) log.error({ pod: id, device: l.device, lost: l.what, why: l.why }, 'not restored');
    if (remove) {
      removeStatus(stateDir, id);
      removeMarker(stateDir, id);
    }
  }
}
