/**
 * Structured logs (pino, JSON lines) to a file, never to stdout: a hook's
 * stdout belongs to the runtime. A log that cannot be opened never fails the hook.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export const DEFAULT_LOG_FILE = '/var/log/oci-netdevices.log';

type LogFn = (obj: Record<string, unknown>, msg?: string) => void;

export interface Log {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
  flush(): void;
}

export const silentLog: Log = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  flush: () => undefined,
};

export async function openLog(file: string | undefined, base: Record<string, unknown>): Promise<Log> {
  const path = file ?? DEFAULT_LOG_FILE;
  if (path === '' || path === 'off') return silentLog;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const { default: pino } = await import('pino');
    const dest = pino.destination({ dest: path, sync: true, append: true });
    const logger = pino({ base: { pid: process.pid, ...base }, level: process.env.OCI_NETDEVICES_LOG_LEVEL ?? 'info' }, dest);
    const log: Log = {
      info: (o, m) => logger.info(o, m),
      warn: (o, m) => logger.warn(o, m),
      error: (o, m) => logger.error(o, m),
      debug: (o, m) => logger.debug(o, m),
      flush: () => logger.flush(),
    };
    return log;
  } catch {
    return silentLog;
  }
}
