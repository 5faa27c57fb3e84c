/**
 * Keeping a container's netns alive after its processes exit: a bind mount of
 * /proc/<pid>/ns/net, so poststop can still enter it and bring devices home.
 */
import { closeSync, constants, openSync, rmSync } from 'node:fs';
import { native } from '../native/binding.js';

/** Pins the netns at `source` (a /proc/<pid>/ns/net, or a bind-mounted netns such as a pod's). */
export function pinNetnsPath(source: string, target: string): void {
  closeSync(openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
  try {
    native().bindMount(source, target);
  } catch (e) {
    rmSync(target, { force: true });
    throw e;
  }
}

export function unpinNetns(target: string): void {
  const n = native();
  try {
    n.unmount(target, n.constants.MNT_DETACH!);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'ENOENT') throw e;
  }
  rmSync(target, { force: true });
}
