/** Opens real netlink sockets through the native shim. */
import { native } from '../native/binding.js';
import { NL } from './constants.js';
import { NetlinkSocket, type Transport } from './socket.js';

const BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * The kernel answers a request while it handles our send (rtnetlink runs in the sender's context),
 * so a receive waits for queued data, never for work: 5 s without a datagram means it will not come.
 */
export const RECV_TIMEOUT_MS = 5000;

export interface SocketOptions {
  /** NETLINK_GET_STRICT_CHK: the kernel honours a dump's filters (address and route dumps by device); an older kernel sends everything. */
  strictCheck?: boolean;
}

function nativeTransport(protocol: number, netnsPath: string | null, opts: SocketOptions = {}): Transport {
  const n = native();
  const fd = n.netlinkOpen(protocol, netnsPath, BUFFER_BYTES, RECV_TIMEOUT_MS, opts.strictCheck === true);
  return {
    send: (data) => {
      n.netlinkSend(fd, data);
    },
    recv: () => n.netlinkRecv(fd),
    close: () => n.close(fd),
  };
}

/** Makes the transport of every socket opened below: the native one, or a test's wrapper around it. */
export type TransportFactory = (protocol: number, netnsPath: string | null, opts?: SocketOptions) => Transport;

let makeTransport: TransportFactory = nativeTransport;

/**
 * Test seam: `wrap` receives the native factory and returns the one to use from now on
 * (fault injection in test/support/faulty-transport.ts). Production code never calls it.
 */
export function wrapTransports(wrap: (native: TransportFactory) => TransportFactory): void {
  makeTransport = wrap(nativeTransport);
}

/** rtnetlink socket in the netns at `netnsPath` (the caller's netns when null). */
export function openRoute(netnsPath: string | null = null, opts: SocketOptions = {}): NetlinkSocket {
  return new NetlinkSocket(makeTransport(NL.NETLINK_ROUTE, netnsPath, opts), netnsPath ?? 'host');
}

/** generic netlink socket in the netns at `netnsPath`. */
export function openGeneric(netnsPath: string | null = null): NetlinkSocket {
  return new NetlinkSocket(makeTransport(NL.NETLINK_GENERIC, netnsPath), netnsPath ?? 'host');
}
