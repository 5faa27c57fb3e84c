/** Network namespace handles for the hook. */
import { closeSync, openSync, statSync } from 'node:fs';
import { ValidationError } from '../errors.js';

export function netnsPathOf(pid: number): string {
  return `/proc/${pid}/ns/net`;
}

export function sameNetns(a: string, b: string): boolean {
  const sa = statSync(a);
  const sb = statSync(b);
  return sa.ino === sb.ino && sa.dev === sb.dev;
}

/** The container must not share the runtime's (host's) network namespace. */
export function assertOwnNetns(containerNetns: string): void {
  if (sameNetns(containerNetns, '/proc/self/ns/net')) {
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
