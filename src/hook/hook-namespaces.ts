/**
 * The two network namespaces a createRuntime works in, opened once: netlink sockets, namespace
 * fds and inodes, the views taken before anything changes, and ethtool sessions opened on demand.
 * The host's view holds just the devices asked for (viewHostDevices); the container's, all of it.
 * Everything opened here is closed by close().
 */
import { fstatSync } from 'node:fs';
import { type NamespaceView, viewHostDevices, viewNamespace } from '../apply/inspect.js';
import { EthtoolSession, runningKernel } from '../ethtool/session.js';
import { linkIfPresent } from '../apply/host-names.js';
import type { Link } from '../netlink/link.js';
import { openGeneric, openRoute } from '../netlink/open.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { kernelStep } from './kernel-context.js';
import { NetnsFd } from './netns.js';

export class HookNamespaces {
  readonly host: NetlinkSocket;
  readonly ctr: NetlinkSocket;
  readonly hostFd: NetnsFd;
  readonly ctrFd: NetnsFd;
  readonly hostNetnsIno: number;
  readonly ctrNetnsIno: number;
  readonly hostView: NamespaceView;
  readonly ctrView: NamespaceView;
  private readonly closers: Array<{ close(): void }> = [];
  private readonly sessions = new Map<string, EthtoolSession>();

  /**
   * On a throw, what was opened so far is closed before the error leaves. `devices`: the host
   * names asked for: the host view's links, and named in a kernel error of the views (kernel-context.ts).
   */
  constructor(readonly ctrPath: string, devices: readonly string[]) {
    try {
      this.host = this.keep(openRoute(null));
      this.ctr = this.keep(openRoute(ctrPath));
      this.hostFd = this.keep(new NetnsFd('/proc/self/ns/net'));
      this.ctrFd = this.keep(new NetnsFd(ctrPath));
      this.hostNetnsIno = fstatSync(this.hostFd.fd).ino;
      this.ctrNetnsIno = fstatSync(this.ctrFd.fd).ino;
      const filtering = (): NetlinkSocket => this.keep(openRoute(null, { strictCheck: true }));
      this.hostView = kernelStep('reading the host network namespace (links, addresses, routes)', devices, () => viewHostDevices(this.host, filtering, devices));
      this.ctrView = kernelStep("reading the container's network namespace (links, addresses)", devices, () => viewNamespace(this.ctr, { addrs: true }));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** The host's link with ifindex `index` now (from the view when it holds it); undefined when there is none. */
  hostLinkAt(index: number): Link | undefined {
    return this.hostView.links.find((l) => l.index === index) ?? linkIfPresent(this.host, { index });
  }

  /** The ethtool session of the host (`inContainer` false) or of the container netns, opened once. */
  ethtool(inContainer: boolean): EthtoolSession {
    const key = inContainer ? 'container' : 'host';
    let s = this.sessions.get(key);
    if (s === undefined) {
      s = new EthtoolSession(openGeneric(inContainer ? this.ctrPath : null), runningKernel);
      this.keep(s.sock);
      this.sessions.set(key, s);
    }
    return s;
  }

  close(): void {
    for (const c of this.closers.splice(0).reverse()) c.close();
  }

  private keep<T extends { close(): void }>(c: T): T {
    this.closers.push(c);
    return c;
  }
}
