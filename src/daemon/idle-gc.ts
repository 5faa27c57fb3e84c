/**
 * A resident engine's garbage, collected while it is idle. Each request leaves a little behind
 * (parsed configs, netlink replies, records); V8 collects the old generation only when it reaches
 * a limit that it raises as the heap grows, so between collections the RSS of a daemon serving
 * containers back to back climbs by tens of MB that are all garbage (the live set stays ~8 MB).
 * A full collection once the daemon has had nothing to do for IDLE_MS, and the heap has grown by
 * GROWTH_BYTES since the last one, costs a few milliseconds nobody waits for, and keeps the
 * footprint near the live set.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const IDLE_MS = 100;
/** Only once this much was allocated since the last idle collection: a request arriving mid-collection waits for it (~3 ms), so not after every request. */
const GROWTH_BYTES = 4 * 1024 * 1024;

/** No argument: a full collection. `{ type: 'minor' }`: a scavenge (here even `{ type: 'major' }` from this context ran a scavenge, so full stays argument-less). */
export type Gc = (opts?: { type: 'minor' }) => void;

/** V8's gc(), without starting Node with --expose-gc (the flag exposes it to contexts made after it). */
function exposedGc(): Gc | undefined {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? (gc as Gc) : undefined;
}

export interface IdleGc {
  /** A request started: no collection while it runs. */
  busy(): void;
  /** A request ended; `inFlight` are still running. */
  done(inFlight: number): void;
  stop(): void;
}

/** `gc` and `used`: V8's own unless a test stands in for them. */
export function idleGc(growthBytes: number = GROWTH_BYTES, gc: Gc | undefined = exposedGc(), used: () => number = () => getHeapStatistics().used_heap_size): IdleGc {
  let live = used();
  let timer: NodeJS.Timeout | undefined;
  const collect = (): void => {
    // Compacting too: V8's own heuristics evacuate only the most fragmented pages, so the old
    // space kept pages of garbage-free holes and grew 9 -> 12 MB over 1,000 containers with its
    // live set at 7 MB. Only this collection compacts (nobody waits for it); V8's own do not.
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc!();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
    live = used();
  };
  // The young generation emptied as soon as the daemon is idle: a request fills a good part of
  // its 2 MB, so otherwise one start in two or three paid a scavenge (0.5-0.7 ms) on its critical
  // path, many of them V8's own "task" run between two of its awaits (0.2-0.3 ms less per request
  // on average, over 140 requests each, paired with the build before).
  let scavenge: NodeJS.Immediate | undefined;
  const cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    if (scavenge !== undefined) clearImmediate(scavenge);
    timer = undefined;
    scavenge = undefined;
  };
  return {
    busy: cancel,
    done: (inFlight) => {
      cancel();
      if (gc === undefined || inFlight > 0) return;
      if (used() - live >= growthBytes) timer = setTimeout(collect, IDLE_MS).unref();
      else scavenge = setImmediate(() => gc({ type: 'minor' })).unref();
    },
    stop: cancel,
  };
}
