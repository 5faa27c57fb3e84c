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

interface PinoChild {
  info: LogFn; warn: LogFn; error: LogFn; debug: LogFn; flush(): void;
}
interface PinoRoot {
  child(bindings: Record<string, unknown>, opts: { level: string }): PinoChild;
}
interface Sink {
  logger: PinoRoot;
  reopen(): void;
}

/** Log files opened by this process, by path: one file descriptor each, however many stages a daemon serves. */
const sinks = new Map<string, Sink>();

async function sinkFor(path: string): Promise<Sink> {
  let s = sinks.get(path);
  if (s === undefined) {
    mkdirSync(dirname(path), { recursive: true });
    const { default: pino } = await import('pino');
    const dest = pino.destination({ dest: path, sync: true, append: true });
    s = { logger: pino({ base: { pid: process.pid }, level: 'trace' }, dest), reopen: () => dest.reopen() };
    sinks.set(path, s);
  }
  return s;
}

/** After logrotate moved the files (the daemon's SIGHUP): write to new files under the same names. */
export function reopenLogs(): void {
  for (const s of sinks.values()) {
    try {
      s.reopen();
    } catch {
      /* the next write tries the old descriptor; a log never fails a hook */
    }
  }
}

/** `level`: OCI_NETDEVICES_LOG_LEVEL of the caller (the daemon passes its request's). */
export async function openLog(file: string | undefined, base: Record<string, unknown>, level: string | undefined = process.env.OCI_NETDEVICES_LOG_LEVEL): Promise<Log> {
  const path = file ?? DEFAULT_LOG_FILE;
  if (path === '' || path === 'off') return silentLog;
  try {
    const logger = (await sinkFor(path)).logger.child(base, { level: level ?? 'info' });
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
