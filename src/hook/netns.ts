/** Network namespace handles for the hook. */
import { closeSync, openSync, statSync } from 'node:fs';
import { UsageError, ValidationError } from '../errors.js';

export function netnsPathOf(pid: number): string {
  return `/proc/${pid}/ns/net`;
}

export function sameNetns(a: string, b: string): boolean {
  const sa = statSync(a);
  const sb = statSync(b);
  return sa.ino === sb.ino && sa.dev === sb.dev;
}

/** What went wrong reaching a container's netns, in words a user acts on (exit 2). */
function unreachable(path: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const pid = /^\/proc\/(\d+)\/ns\/net$/.exec(path)?.[1];
  if (code === 'ENOENT' || code === 'ESRCH') {
    return new UsageError(pid !== undefined ? `container process ${pid} does not exist (no ${path}): was the state's pid right, or has the container exited?` : `the container's network namespace ${path} does not exist`);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new UsageError(`cannot open the container's network namespace ${path}: permission denied (the hook must run as root, uid ${process.geteuid?.()} is not)`);
  }
  return e;
}

/** The container must not share the runtime's (host's) network namespace. */
export function assertOwnNetns(containerNetns: string): void {
  let same: boolean;
  try {
    same = sameNetns(containerNetns, '/proc/self/ns/net');
  } catch (e) {
    throw unreachable(containerNetns, e);
  }
  if (same) {
    throw new ValidationError([{ path: 'linux.namespaces', message: 'the container shares the host network namespace; netDevices needs a network namespace of its own' }]);
  }
}

export class NetnsFd {
  readonly fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }
  close(): void {
    closeSync(this.fd);
  }
}
