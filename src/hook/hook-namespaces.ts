/**
 * The two network namespaces a createRuntime works in, opened once: netlink sockets, namespace
 * fds and inodes, the views taken before anything changes, and ethtool sessions opened on demand.
 * Everything opened here is closed by close().
 */
import { fstatSync } from 'node:fs';
import { type NamespaceView, viewNamespace } from '../apply/inspect.js';
import { EthtoolSession } from '../ethtool/session.js';
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
   * names asked for, named in a kernel error of the views (kernel-context.ts).
   */
  constructor(readonly ctrPath: string, devices: readonly string[] = []) {
    try {
      this.host = this.keep(openRoute(null));
      this.ctr = this.keep(openRoute(ctrPath));
      this.hostFd = this.keep(new NetnsFd('/proc/self/ns/net'));
      this.ctrFd = this.keep(new NetnsFd(ctrPath));
      this.hostNetnsIno = fstatSync(this.hostFd.fd).ino;
      this.ctrNetnsIno = fstatSync(this.ctrFd.fd).ino;
      this.hostView = kernelStep('reading the host network namespace (links, addresses, routes)', devices, () => viewNamespace(this.host, { addrs: true, routes: true }));
      this.ctrView = kernelStep("reading the container's network namespace (links, addresses)", devices, () => viewNamespace(this.ctr, { addrs: true }));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** The ethtool session of the host (`inContainer` false) or of the container netns, opened once. */
  ethtool(inContainer: boolean): EthtoolSession {
    const key = inContainer ? 'container' : 'host';
    let s = this.sessions.get(key);
    if (s === undefined) {
      s = new EthtoolSession(openGeneric(inContainer ? this.ctrPath : null));
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
