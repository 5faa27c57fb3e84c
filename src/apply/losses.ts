/** How losses (what a device came home without) are said: one line, and a status condition. */
import type { Loss } from '../state/device-record.js';

export function formatLosses(losses: readonly Loss[]): string {
  return losses.map((l) => `${l.device}: ${l.what} not restored (${l.why})`).join('; ');
}

/** The same loss found twice (before and after the move: an altname taken on the host) is said once. */
export function uniqueLosses(losses: readonly Loss[]): Loss[] {
  const seen = new Set<string>();
  return losses.filter((l) => {
    const k = `${l.device}\0${l.what}\0${l.why}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
