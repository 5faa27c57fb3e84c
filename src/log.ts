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
  /** Done with this log (a stage's end): a file opened for it alone is closed. */
  close?(): void;
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
  end(): void;
}

/**
 * Log files opened by this process, by path: one file descriptor each, however many stages a
 * daemon serves. Past MAX_KEPT paths (every request naming a log file of its own) a new path's
 * file is opened for its stage alone and closed at the stage's end.
 */
const sinks = new Map<string, Sink>();
const MAX_KEPT = 16;

async function openSink(path: string): Promise<Sink> {
  mkdirSync(dirname(path), { recursive: true });
  const { default: pino } = await import('pino');
  const dest = pino.destination({ dest: path, sync: true, append: true });
  return { logger: pino({ base: { pid: process.pid }, level: 'trace' }, dest), reopen: () => dest.reopen(), end: () => dest.end() };
}

async function sinkFor(path: string): Promise<{ sink: Sink; kept: boolean }> {
  const s = sinks.get(path);
  if (s !== undefined) return { sink: s, kept: true };
  const sink = await openSink(path);
  if (sinks.size >= MAX_KEPT) return { sink, kept: false };
  sinks.set(path, sink);
  return { sink, kept: true };
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
    const { sink, kept } = await sinkFor(path);
    let logger;
    try {
      logger = sink.logger.child(base, { level: level ?? 'info' });
    } catch (e) {
      if (!kept) sink.end();
      throw e;
    }
    const log: Log = {
      info: (o, m) => logger.info(o, m),
      warn: (o, m) => logger.warn(o, m),
      error: (o, m) => logger.error(o, m),
      debug: (o, m) => logger.debug(o, m),
      flush: () => logger.flush(),
      ...(kept ? {} : { close: () => sink.end() }),
    };
    return log;
  } catch {
    return silentLog;
  }
}
