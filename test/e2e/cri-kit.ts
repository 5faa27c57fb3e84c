/**
 * What the CRI e2e tests share (the NRI plugin and the wrapper as containerd's runtime):
 * a host device with an address and an MTU of its own, each annotation form asking for it
 * renamed and configured, and the checks that a pod got it and that it came home as it was.
 */
import assert from 'node:assert/strict';
import { HOOK_BIN } from '../support/bundle.js';
import type { Containerd } from '../support/containerd.js';
import { type Cleanup, addrStrings, createVethPair, exec, linkInfo, waitFor } from '../support/netns.js';

export interface HostDevice {
  dev: string;
  mtu: number;
  addr: string;
}

export function hostDevice(c: Cleanup, prefix: string): HostDevice {
  const v = createVethPair({ cleanup: c, prefix });
  const octet = 10 + Math.floor(Math.random() * 200);
  exec(['ip', 'link', 'set', v.name, 'mtu', '1400']);
  exec(['ip', 'addr', 'add', `10.252.${octet}.1/24`, 'dev', v.name]);
  return { dev: v.name, mtu: 1400, addr: `10.252.${octet}.1/24` };
}

const nriYaml = (dev: string): string => `- name: ${dev}\n  new_name: net1\n  address: 10.253.0.2\n  prefix: 24\n  mtu: 1300`;

/** Every annotation form, each asking for the device as net1 with 10.253.0.2/24 and MTU 1300. */
export const FORMS: ReadonlyArray<[string, (dev: string) => Record<string, string>]> = [
  ['oci-netdevices.io/devices', (dev) => ({ 'oci-netdevices.io/devices': JSON.stringify({ [dev]: { name: 'net1', networkConfig: { interface: { addresses: ['10.253.0.2/24'], mtu: 1300 } } } }) })],
  ...['netdevices.nri.containerd.io', 'netdevices.nri.containerd.io/pod', 'netdevice.noderesource.dev', 'netdevice.noderesource.dev/pod'].map(
    (key): [string, (dev: string) => Record<string, string>] => [key, (dev) => ({ [key]: nriYaml(dev) })],
  ),
];

/** A pod name for a form: only letters. */
export const formPodName = (prefix: string, key: string): string => `${prefix}-${key.replace(/[^a-z]/g, '')}`;

/** The device left the host, two app containers of the pod see it configured, and its status is under the pod sandbox id. */
export async function assertPodHasDevice(ctrd: Containerd, pod: { id: string; config: Record<string, unknown> }, h: HostDevice, stateDir: string): Promise<string[]> {
  assert.equal(linkInfo(h.dev), undefined, 'gone from the host');
  const ids: string[] = [];
  for (const name of ['app1', 'app2']) {
    const id = await ctrd.startContainer(pod, name);
    ids.push(id);
    const r = await ctrd.exec(id, ['ip', '-o', 'addr', 'show', 'net1']);
    assert.equal(r.exit_code, 0, r.stderr);
    assert.match(r.stdout, /inet 10\.253\.0\.2\/24/, `${name} sees the configured address`);
    const l = await ctrd.exec(id, ['ip', '-o', 'link', 'show', 'net1']);
    assert.match(l.stdout, /mtu 1300/);
  }
  const status = JSON.parse(exec([HOOK_BIN, '--state-dir', stateDir, 'status', pod.id])) as { containerId: string; devices: { conditions: { type: string; status: string }[] }[] };
  assert.equal(status.containerId, pod.id, 'status under the pod sandbox id');
  assert.ok(status.devices[0]!.conditions.some((x) => x.type === 'Ready' && x.status === 'True'));
  return ids;
}

/** Home under its own name with its MTU and address (teardown may finish just after the CRI call returns). */
export async function assertHomeAsItWas(h: HostDevice): Promise<void> {
  await waitFor(`${h.dev} home`, () => linkInfo(h.dev) !== undefined, { timeoutMs: 20_000 });
  assert.equal(linkInfo(h.dev)!.mtu, h.mtu);
  assert.deepEqual(addrStrings(h.dev), [h.addr]);
}
