/**
 * Structured logs to a file, never to stdout: a hook's stdout belongs to the
 * runtime. A log that cannot be opened never fails the hook.
 *
 * The lines are pino's (`{"level":30,"time":<ms>,"pid":N,...bindings,...fields,"msg":"..."}`,
 * pino's level numbers), so pino-pretty and the usual log shippers read them, but they are
 * written here with one synchronous append each: loading pino (and its sonic-boom and
 * thread-stream, with worker_threads) cost a cold hook 15 ms of a ~60 ms start, more than
 * everything else it loads.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
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

/** pino's level names and numbers; `silent` writes nothing. */
const LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

interface Sink {
  write(line: string): void;
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

function openSink(path: string): Sink {
  mkdirSync(dirname(path), { recursive: true });
  let fd = openSync(path, 'a');
  return {
    write: (line) => {
      try {
        writeSync(fd, line);
      } catch {
        /* a full disk or a revoked file never fails a hook */
      }
    },
    reopen: () => {
      const next = openSync(path, 'a');
      closeSync(fd);
      fd = next;
    },
    end: () => closeSync(fd),
  };
}

function sinkFor(path: string): { sink: Sink; kept: boolean } {
  const s = sinks.get(path);
  if (s !== undefined) return { sink: s, kept: true };
  const sink = openSink(path);
  if (sinks.size >= MAX_KEPT) return { sink, kept: false };
  sinks.set(path, sink);
  return { sink, kept: true };
}

/** An Error as pino's err serializer writes it; everything else as JSON has it. */
const errorsAsObjects = (_key: string, v: unknown): unknown => (v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v);

function line(level: number, base: Record<string, unknown>, obj: Record<string, unknown>, msg: string | undefined): string {
  const record = { level, time: Date.now(), pid: process.pid, ...base, ...obj, ...(msg !== undefined ? { msg } : {}) };
  try {
    return `${JSON.stringify(record, errorsAsObjects)}\n`;
  } catch (e) {
    // A field JSON cannot hold (a BigInt, a cycle): the line says so rather than vanish.
    return `${JSON.stringify({ level, time: record.time, pid: process.pid, ...base, msg, logError: `fields not written: ${(e as Error).message}` })}\n`;
  }
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

/** `level`: OCI_NETDEVICES_LOG_LEVEL of the caller (the daemon passes its request's); an unknown level logs nothing. */
export async function openLog(file: string | undefined, base: Record<string, unknown>, level: string | undefined = process.env.OCI_NETDEVICES_LOG_LEVEL): Promise<Log> {
  const path = file ?? DEFAULT_LOG_FILE;
  const threshold = LEVELS[level ?? 'info'];
  if (path === '' || path === 'off' || threshold === undefined || threshold === Infinity) return silentLog;
  let opened: { sink: Sink; kept: boolean };
  try {
    opened = sinkFor(path);
  } catch {
    return silentLog;
  }
  const { sink, kept } = opened;
  const at = (n: number): LogFn => (n < threshold ? () => undefined : (obj, msg) => sink.write(line(n, base, obj, msg)));
  return {
    info: at(LEVELS.info!),
    warn: at(LEVELS.warn!),
    error: at(LEVELS.error!),
    debug: at(LEVELS.debug!),
    flush: () => undefined,
    ...(kept ? {} : { close: () => sink.end() }),
  };
}
