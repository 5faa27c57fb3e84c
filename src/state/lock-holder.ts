/**
 * Who holds a flock: /proc/locks lists each lock with the pid that took it and
 * the file's device and inode ("1: FLOCK  ADVISORY  WRITE 4242 00:19:1234 0 EOF").
 * A holder that is not one of our hooks (no id written into the file), or one
 * that is stopped (SIGSTOP, a debugger), can only be named this way.
 */
import { fstatSync, readFileSync } from 'node:fs';

/** glibc's major()/minor() of a dev_t. */
function majorMinor(dev: number): [number, number] {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return [major, minor];
}

function procText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pids /proc/locks names as holding a flock on the file open at `fd` (waiters, "->", excluded). */
export function flockHolders(fd: number): number[] {
  const st = fstatSync(fd);
  const [major, minor] = majorMinor(st.dev);
  const text = procText('/proc/locks') ?? '';
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (m === null) continue;
    if (Number.parseInt(m[2]!, 16) === major && Number.parseInt(m[3]!, 16) === minor && Number(m[4]) === st.ino) out.push(Number(m[1]));
  }
  return out;
}

/** "pid 4242 (oci-netdevices, stopped)" for each holder; undefined when none is listed. */
export function describeHolders(fd: number): string | undefined {
  const pids = flockHolders(fd).filter((p) => p !== process.pid);
  if (pids.length === 0) return undefined;
  return pids.map((pid) => {
    const comm = procText(`/proc/${pid}/comm`)?.trim();
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces and parentheses: the state follows the last ')'.
    const stat = procText(`/proc/${pid}/stat`);
    const state = stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const what = [comm, state === 'T' || state === 't' ? 'stopped' : undefined].filter((x) => x !== undefined).join(', ');
    return `pid ${pid}${what !== '' ? ` (${what})` : ''}`;
  }).join(', ');
}
