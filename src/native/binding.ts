/**
 * Typed view of the native shim (native/src). The only place where the
 * addon's untyped surface is touched.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export type KernelConstants = Readonly<Record<string, number>>;

export interface NativeBinding {
  /**
   * Netlink socket of `protocol`, created inside the netns at `netnsPath` (current netns when null);
   * `recvTimeoutMs` > 0 sets SO_RCVTIMEO: a receive the kernel never answers fails EAGAIN;
   * `strictCheck` sets NETLINK_GET_STRICT_CHK where the kernel has it (4.20): it validates dump requests and honours their filters.
   */
  netlinkOpen(protocol: number, netnsPath: string | null, bufBytes: number, recvTimeoutMs?: number, strictCheck?: boolean): number;
  netlinkSend(fd: number, data: Uint8Array): number;
  netlinkRecv(fd: number): Buffer;
  close(fd: number): void;
  bindMount(source: string, target: string): void;
  unmount(target: string, flags: number): void;
  /** False when LOCK_NB was given and another holder has it. */
  flock(fd: number, op: number): boolean;
  strerror(errno: number): string;
  execve(path: string, argv: readonly string[], env: readonly string[]): never;
  /** open(2) of `path` (O_CLOEXEC added) from inside the netns `netnsFd` refers to; the fd stays bound to that netns. */
  openInNetns(netnsFd: number, path: string, flags: number): number;
  /** SO_PEERCRED of a connected unix socket: who connected (as of connect(2)). */
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  /** An IPv4 UDP socket created inside the netns `netnsFd` refers to: SO_BROADCAST, SO_REUSEADDR, SO_BINDTODEVICE `ifname`, bound to 0.0.0.0:`port`. */
  udpOpenInNetns(netnsFd: number, ifname: string, port: number): number;
  udpSendTo(fd: number, data: Uint8Array, address: string, port: number): number;
  /** Waits up to `timeoutMs` for one datagram; null when none came. */
  udpRecvFrom(fd: number, timeoutMs: number): { data: Buffer; address: string; port: number } | null;
  /** Marks every open descriptor >= `first` close-on-exec (inherited ones too): children get only what spawn passes. */
  closeOnExecFrom(first: number): void;
  /** Every regular file directly in `dir` that opens and reads, as [name, content] (cut at `maxBytes`); unreadable files left out; throws only when `dir` cannot be opened. */
  readDirFiles(dir: string, maxBytes: number): Array<[string, string]>;
  constants: KernelConstants;
}

let loaded: NativeBinding | undefined;

export function native(): NativeBinding {
  if (loaded === undefined) {
    const require = createRequire(import.meta.url);
    loaded = require(join(packageRoot(), 'build', 'Release', 'netdevices.node')) as NativeBinding;
  }
  return loaded;
}

/** A kernel constant by its header name; throws if the addon does not export it. */
export function k(name: string): number {
  const v = native().constants[name];
  if (v === undefined) throw new Error(`kernel constant ${name} is not exported by the native addon`);
  return v;
}
