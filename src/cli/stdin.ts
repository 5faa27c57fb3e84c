import { readFileSync } from 'node:fs';

/** Whole stdin, synchronously (a hook's stdin is a small pipe the runtime closes). */
export function readStdin(): string {
  return readFileSync(0, 'utf8');
}
