/** `daemon [--socket PATH]`: the resident engine (src/daemon/) until SIGTERM/SIGINT. */
import { dirname, join } from 'node:path';
import { DAEMON_SOCKET_NAME } from '../daemon/protocol.js';
import { startDaemon } from '../daemon/server.js';
import { openLog, reopenLogs } from '../log.js';
import { ensureDir, resolveStateDir } from '../state/state-dir.js';
import type { GlobalOptions } from './global-options.js';

/** Loads what the hook stages load on demand, and compiles nothing later: the first container pays no more than the hundredth. */
async function warmUp(): Promise<void> {
  const [{ extractDevices }] = await Promise.all([
    import('../config/extract.js'),
    import('../hook/create-runtime.js'),
    import('../hook/poststop.js'),
    import('../policy/policy.js'),
    import('../cni/cni-path.js'),
  ]);
  try {
    extractDevices({ linux: { namespaces: [{ type: 'network' }], netDevices: [{ name: 'warm0', properties: { name: 'eth0', address: '10.0.0.1', mask: '24' } }] } });
  } catch {
    /* only the loading mattered */
  }
}

export async function runDaemon(g: GlobalOptions, socket: string | undefined): Promise<void> {
  const stateDir = resolveStateDir(g.stateDir);
  const socketPath = socket ?? join(stateDir, DAEMON_SOCKET_NAME);
  // Before the socket exists: a SIGTERM as soon as a client can see the socket must find its handler.
  const stop = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  const log = await openLog(g.logFile, { component: 'daemon' });
  await warmUp();
  const inStateDir = dirname(socketPath) === stateDir;
  const daemon = await startDaemon(socketPath, log, inStateDir ? (d) => void ensureDir(d) : undefined);
  log.info({ socket: socketPath }, 'daemon listening');
  process.stdout.write(`oci-netdevices daemon: listening on ${socketPath}\n`);
  process.on('SIGHUP', reopenLogs);
  await stop;
  log.info({ inFlight: daemon.inFlight() }, 'daemon stopping: no new requests, finishing the ones in flight');
  await daemon.drain();
  log.info({}, 'daemon stopped');
  log.flush();
}
