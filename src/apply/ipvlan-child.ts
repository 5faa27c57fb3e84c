/**
 * `type: IPVLAN`: instead of moving the host device, an ipvlan child of it
 * (mode l2, bridge: the only ones DraNet's schema allows) is created directly
 * in the container netns under the container name; the host device stays
 * where it is, untouched. The child is configured like a moved device. Its
 * undo deletes it; at teardown there is nothing to bring home: the child dies
 * with the container netns (the record marks it so).
 */
import type { Link } from '../netlink/link.js';
import { linkGet } from '../netlink/link.js';
import { linkAddIpvlan, linkDel } from '../netlink/link-kinds.js';
import { NetlinkError } from '../netlink/message.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { identityOf } from '../state/identity.js';
import type { DeviceTarget, NamespaceView } from './inspect.js';
import { snapshotHost } from './host-original.js';
import type { Placed } from './apply-devices.js';
import type { Transaction } from './transaction.js';

export const isIpvlan = (t: DeviceTarget): boolean => t.spec.linkType === 'ipvlan' && t.hostLink !== undefined;

/** Creates the children (one batch on the host socket: IFLA_LINK names the parent's host ifindex). */
export function createIpvlanChildren(host: NetlinkSocket, ctr: NetlinkSocket, ctrNetnsFd: number, tx: Transaction, targets: readonly DeviceTarget[]): void {
  const children = targets.filter(isIpvlan);
  // The undo looks the child up by name when it runs: its ifindex is only known once it exists.
  tx.batch(host, 'create ipvlan child in the container netns', children.map((t) => ({
    device: t.spec.hostName,
    request: linkAddIpvlan(t.hostLink!.index, t.containerName, ctrNetnsFd),
    undo: () => {
      try {
        ctr.run(linkDel(ctr.run(linkGet({ name: t.containerName })).index, `ipvlan child ${t.containerName}`));
      } catch (e) {
        if (!(e instanceof NetlinkError && e.code === 'ENODEV')) throw e;
      }
    },
  })));
}

/** The child as a placed device: found by its name among the links new in the container netns. */
export function placeIpvlanChild(t: DeviceTarget, after: readonly Link[], claimed: Set<number>, ctrView: NamespaceView, ctrNetnsIno: number): Placed {
  const link = after.find((l) => l.name === t.containerName && !claimed.has(l.index));
  if (link === undefined || link.kind !== 'ipvlan') throw new Error(`the ipvlan child ${t.containerName} of ${t.spec.hostName} was created but is not in the container netns`);
  claimed.add(link.index);
  return {
    spec: t.spec, link, movedByRuntime: false, child: 'ipvlan', original: snapshotHost(link, ctrView),
    identity: { ...identityOf(link, ctrNetnsIno, ctrNetnsIno), containerIndex: link.index }, present: new Set(),
  };
}
