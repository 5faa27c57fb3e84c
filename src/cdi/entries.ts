/**
 * A CDI device of ours asks for its host interface as a netDevices entry
 * with no configuration would: moved under its own name. Its own document
 * (`cdiDevices`), so the same device in linux.netDevices or an annotation
 * merges with it (that entry's configuration applies) instead of being a duplicate.
 */
import { emptyEntry } from '../config/entry.js';
import { member } from '../config/json-path.js';
import type { Parsed } from '../config/shapes.js';

export const CDI_ORIGIN = 'cdiDevices';

export function cdiEntries(names: readonly string[]): Parsed {
  return { entries: names.map((n) => emptyEntry(member(CDI_ORIGIN, n), member(CDI_ORIGIN, n), n, 'annotation', CDI_ORIGIN)), issues: [] };
}
