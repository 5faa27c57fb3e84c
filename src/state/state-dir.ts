/**
 * The state directory (default /run/oci-netdevices): root-only (created 0700,
 * owned by us), verified on every use: each directory we create or read
 * through must be ours, not group/other-writable and not a symlink, or the
 * command refuses (exit 2) before touching anything. Record files likewise
 * (bounded-file.ts).
 *
 *   <dir>/containers/<id>/journal.json  crash journal while createRuntime applies
 *   <dir>/containers/<id>/devices.json  what the hook did, once it succeeded
 *   <dir>/containers/<id>/netns         bind-mount pin of the container's netns
 *   <dir>/containers/<id>/cni.json      CNI attachments: config before each ADD, then its result (src/cni/state.ts)
 *   <dir>/locks/<ifname>.lock           flock held while a hook works on a device
 *   <dir>/claims/<ifname>               which container owns the device until teardown
 *   <dir>/status/<id>.json              what the container got (status-store.ts)
 *   <dir>/journals/<id>                 empty: container <id> has a journal.json (the sweep lists
 *                                       these, not every container: container-store.ts)
 */
import { type Stats, existsSync, lstatSync, mkdirSync } from 'node:fs';
import { untrusted } from '../bounded-file.js';
import { join } from 'node:path';
import { UntrustedStateError, UsageError } from '../errors.js';

export const DEFAULT_STATE_DIR = '/run/oci-netdevices';

/** The one container-id rule (the OCI state's id, the wrapper's, the CLI's): ids become directory names. */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;
/** Interface names (IFNAMSIZ-1 bytes, no '/', no whitespace, no ':') become file names. */
const IFNAME = /^[^/\s:\0]{1,15}$/;

export function resolveStateDir(flag: string | undefined): string {
  const dir = flag ?? DEFAULT_STATE_DIR;
  if (!dir.startsWith('/') || dir.split('/').includes('..')) throw new UsageError(`state directory ${JSON.stringify(dir)} must be an absolute path without ".."`);
  return dir;
}

export function isContainerId(id: string): boolean {
  return CONTAINER_ID.test(id) && !id.includes('..');
}

export function assertContainerId(id: string): string {
  if (!isContainerId(id)) throw new UsageError(`container id ${JSON.stringify(id)} is not valid`);
  return id;
}

export function isIfname(name: string): boolean {
  return IFNAME.test(name) && name !== '.' && name !== '..' && Buffer.byteLength(name) <= 15;
}

/**
 * Why a state directory cannot be trusted (a symlink, not a directory, not ours, writable by
 * group or others), or undefined. A loosened directory is refused, never tightened: what was
 * planted while it was open stays untrusted.
 */
function dirProblem(path: string, st: Stats): string | undefined {
  if (st.isSymbolicLink()) return `${path} must be a directory, not a symlink`;
  if (!st.isDirectory()) return `${path} must be a directory, not a file`;
  const why = untrusted(st);
  return why !== undefined ? `${path} ${why}` : undefined;
}

function refuse(problem: string): never {
  throw new UntrustedStateError(`state directory: ${problem}: refusing to use it (it must be a directory owned by uid ${process.geteuid?.() ?? 0}, not writable by group or others; see README "State directory")`);
}

/** Creates `path` (0700) if missing; refuses a symlink, a non-directory, or one we cannot trust. */
export function ensureDir(path: string): string {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const problem = dirProblem(path, lstatSync(path));
  if (problem !== undefined) refuse(problem);
  return path;
}

/** Checks `path` when it exists (false when it does not); creates nothing. */
export function verifyDir(path: string): boolean {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new UsageError(`state directory: cannot inspect ${path}: ${(e as Error).message}`);
  }
  const problem = dirProblem(path, st);
  if (problem !== undefined) refuse(problem);
  return true;
}

/** A createRuntime for an id that already has state: refused; the other container's state is not touched. */
export class StateCollisionError extends UsageError {
  override name = 'StateCollisionError';
  constructor(readonly id: string, dir: string) {
    super(`container id ${JSON.stringify(id)} already has state in ${dir} (a container of that id is running or was not torn down, perhaps under another runtime root): refusing to start a second one with this id; if none runs, "oci-netdevices recover ${id}" brings its devices home`);
  }
}

export class StateDir {
  /** Directories already checked by this process: each is made and checked once. */
  private readonly ready = new Set<string>();

  constructor(readonly root: string) {}

  private dir(path: string): string {
    if (!this.ready.has(path)) {
      ensureDir(path);
      this.ready.add(path);
    }
    return path;
  }

  /** Checks each existing directory of `chain` (outermost first) once; stops at the first missing one. */
  private verified(...chain: string[]): void {
    for (const d of chain) {
      if (this.ready.has(d)) continue;
      if (!verifyDir(d)) return;
      this.ready.add(d);
    }
  }

  private sub(name: string): string {
    this.dir(this.root);
    return this.dir(join(this.root, name));
  }

  containersDir(): string {
    return this.sub('containers');
  }

  /** The container's own directory; the id is checked before it becomes a path. */
  containerDir(id: string, create: boolean): string {
    assertContainerId(id);
    const dir = join(this.root, 'containers', id);
    if (create) {
      this.containersDir();
      this.dir(dir);
    } else this.verified(this.root, join(this.root, 'containers'), dir);
    return dir;
  }

  /**
   * Creates the container's directory, which must not exist: a container id with live state
   * belongs to that state (another runtime root may run a container of the same id).
   */
  claimContainerDir(id: string): string {
    assertContainerId(id);
    const dir = join(this.containersDir(), id);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new StateCollisionError(id, dir);
      throw e;
    }
    this.ready.add(dir);
    return dir;
  }

  /** The journals index (container-store.ts); `create` false: the path, checked when it exists. */
  journalsDir(create: boolean): string {
    return this.topDir('journals', create);
  }

  /** The index entry saying container `id` has a journal; the id is checked before it becomes a path. */
  journalMark(id: string, create = false): string {
    return join(this.journalsDir(create), assertContainerId(id));
  }

  /** Whether anything is kept for this container: its directory or its status (cheap; creates nothing). */
  knows(id: string): boolean {
    return existsSync(this.containerDir(id, false)) || existsSync(this.statusFile(id));
  }

  statusDir(create: boolean): string {
    return this.topDir('status', create);
  }

  /** A directory right under the root: made (and checked) with `create`, else its path, checked when it exists. */
  private topDir(name: 'journals' | 'status', create: boolean): string {
    if (create) return this.sub(name);
    const d = join(this.root, name);
    this.verified(this.root, d);
    return d;
  }

  /** The container's status report; the id is checked before it becomes a path. */
  statusFile(id: string, create = false): string {
    return join(this.statusDir(create), `${assertContainerId(id)}.json`);
  }

  containerFile(id: string, file: 'journal.json' | 'devices.json' | 'netns' | 'cni.json', create = false): string {
    return join(this.containerDir(id, create), file);
  }

  deviceFile(kind: 'locks' | 'claims', ifname: string): string {
    if (!isIfname(ifname)) throw new UsageError(`interface name ${JSON.stringify(ifname)} cannot name a state file`);
    return join(this.sub(kind), kind === 'locks' ? `${ifname}.lock` : ifname);
  }
}
