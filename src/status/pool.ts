/**
 * The pool a status entry names (DraNet's field): this node, by its host name. Read from
 * /proc/sys/kernel/hostname, the UTS namespace's, as gethostname() returns it: loading node:os for
 * it cost a cold hook about 0.2 ms. Where /proc says nothing, node:os answers.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let known: string | undefined;

export function nodePool(): string {
  if (known !== undefined) return known;
  try {
    known = readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
  } catch {
    known = '';
  }
  if (known === '') known = (createRequire(import.meta.url)('node:os') as typeof import('node:os')).hostname();
  return known;
}
