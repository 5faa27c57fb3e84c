/**
 * The state directory (default /run/oci-netdevices): root-only, and no path
 * component we create or read through may be a symlink.
 *
 *   <dir>/containers/<id>/state.json   what the hook did (journal while applying)
 *   <dir>/containers/<id>/netns        bind-mount pin of the container's netns
 *   <dir>/locks/<ifname>.lock          flock held while a hook works on a device
 *   <dir>/claims/<ifname>              which container owns the device until teardown
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export const DEFAULT_STATE_DIR = '/run/oci-netdevices';

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;
const IFNAME_FILE = /^[^/\0]{1,15}$/;

export function resolveStateDir(flag: string | undefined): string {
  const dir = flag ?? process.env.OCI_NETDEVICES_STATE_DIR ?? DEFAULT_STATE_DIR;
  if (!dir.startsWith('/')) throw new UsageError(`state directory ${JSON.stringify(dir)} must be an absolute path`);
  return dir;
}

/** Creates `path` (0700) if missing; refuses a symlink or a non-directory in its place. */
export function ensureDir(path: string): string {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = lstatSync(path);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new UsageError(`${path} must be a directory, not a symlink or a file`);
  return path;
}

export class StateDir {
  constructor(readonly root: string) {}

  private sub(name: string): string {
    ensureDir(this.root);
    return ensureDir(join(this.root, name));
  }

  containersDir(): string {
    return this.sub('containers');
  }

  /** The container's own directory; the id is checked before it becomes a path. */
  containerDir(id: string, create: boolean): string {
    if (!CONTAINER_ID.test(id) || id.includes('..')) throw new UsageError(`container id ${JSON.stringify(id)} is not valid`);
    const dir = join(this.root, 'containers', id);
    if (create) {
      this.containersDir();
      ensureDir(dir);
    }
    return dir;
  }

  deviceFile(kind: 'locks' | 'claims', ifname: string): string {
    if (!IFNAME_FILE.test(ifname) || ifname === '.' || ifname === '..') throw new UsageError(`interface name ${JSON.stringify(ifname)} cannot name a state file`);
    return join(this.sub(kind), kind === 'locks' ? `${ifname}.lock` : ifname);
  }
}
