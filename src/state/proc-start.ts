/** Telling a live process from a dead one whose pid was reused: pid + start time. */
import { readFileNoFollow } from './atomic-file.js';

/** Process start time in clock ticks since boot (/proc/<pid>/stat field 22), or undefined when gone. */
export function processStartTime(pid: number): string | undefined {
  let stat: string | undefined;
  try {
    stat = readFileNoFollow(`/proc/${pid}/stat`, 4096);
  } catch {
    return undefined;
  }
  if (stat === undefined) return undefined;
  // comm (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

export function processAlive(pid: number, start: string): boolean {
  const now = processStartTime(pid);
  return now !== undefined && now === start;
}
