/** How losses (what a device came home without) are said: one line, and a status condition. */
import type { Loss } from './record.js';

export function formatLosses(losses: readonly Loss[]): string {
  return losses.map((l) => `${l.device}: ${l.what} not restored (${l.why})`).join('; ');
}
