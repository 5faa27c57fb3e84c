/**
 * CNI attachments against Debian's containernetworking-plugins in
 * /usr/lib/cni: conflists for macvlan and bridge with host-local IPAM in a
 * private dataDir (its lease files show what is allocated), and the
 * annotation that carries them.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sandbox, baseConfig, ipJson, sh } from './hook-kit.js';

export const CNI_BIN = '/usr/lib/cni';
export const CNI_KEY = 'oci-netdevices.io/cni';

export interface Attachment {
  ifName: string;
  config: Record<string, unknown>;
}

/** A host-local IPAM dataDir of the test's own, removed at cleanup. */
export function dataDir(box: Sandbox): string {
  const d = mkdtempSync(join(tmpdir(), 'ond-ipam-'));
  box.defer(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export function hostLocal(dir: string, subnet: string): Record<string, unknown> {
  return { type: 'host-local', dataDir: dir, ranges: [[{ subnet }]] };
}

/** A veth end on the host, up, to be the master of macvlan attachments. */
export function macvlanMaster(box: Sandbox): string {
  const [master] = box.veth();
  sh('ip', 'link', 'set', master, 'up');
  return master;
}

export function macvlan(name: string, master: string, ipam: Record<string, unknown>, more: Array<Record<string, unknown>> = [], cniVersion = '1.0.0'): Record<string, unknown> {
  return { cniVersion, name, plugins: [{ type: 'macvlan', master, mode: 'bridge', ipam }, ...more] };
}

export function cniConfig(attachments: readonly Attachment[], linux: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...baseConfig(linux), annotations: { [CNI_KEY]: JSON.stringify(attachments) } };
}

/** The addresses host-local has leased in `network` (one file per address). */
export function leases(dir: string, network: string): string[] {
  const d = join(dir, network);
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f) && f.includes('.')).sort();
}

/** macvlans on the host stacked on `master` (one left behind would be a leak); other tests' links are not counted. */
export function macvlansOn(master: string): string[] {
  return ipJson<Array<{ ifname: string; link?: string }>>(undefined, '-d', 'link', 'show', 'type', 'macvlan').filter((l) => l.link === master).map((l) => l.ifname);
}
