/**
 * The state directory (default /run/oci-netdevices): root-only (0700, owned
 * by us), and no path component we create or read through may be a symlink.
 *
 *   <dir>/containers/<id>/journal.json  crash journal while createRuntime applies
 *   <dir>/containers/<id>/devices.json  what the hook did, once it succeeded
 *   <dir>/containers/<id>/netns         bind-mount pin of the container's netns
 *   <dir>/containers/<id>/cni.json      CNI attachments: config before each ADD, then its result (src/cni/state.ts)
 *   <dir>/locks/<ifname>.lock           flock held while a hook works on a device
 *   <dir>/claims/<ifname>               which container owns the device until teardown
 *   <dir>/status/<id>.json              what the container got (status-store.ts)
 */
import { chmodSync, existsSync, lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

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
 * Creates `path` (0700) if missing. Refuses a symlink, a non-directory, or a
 * directory owned by someone else; tightens a group/world-accessible one of ours.
 */
export function ensureDir(path: string): string {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = lstatSync(path);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new UsageError(`${path} must be a directory, not a symlink or a file`);
  const uid = process.geteuid?.();
  if (uid !== undefined && st.uid !== uid) throw new UsageError(`${path} is owned by uid ${st.uid}, not by us (uid ${uid}): refusing to keep state there`);
  if ((st.mode & 0o077) !== 0) chmodSync(path, 0o700);
  return path;
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
    }
    return dir;
  }

  /** Whether anything is kept for this container: its directory or its status (cheap; creates nothing). */
  knows(id: string): boolean {
    return existsSync(this.containerDir(id, false)) || existsSync(this.statusFile(id));
  }

  statusDir(create: boolean): string {
    return create ? this.sub('status') : join(this.root, 'status');
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
