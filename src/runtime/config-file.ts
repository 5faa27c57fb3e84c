/**
 * The bundle's config.json, read and replaced atomically and durably, keeping its mode.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { writeFileAtomic } from '../state/atomic-file.js';
import { type LosslessJson, parseLossless } from './lossless-json.js';
import { MAX_CONFIG_BYTES } from '../config/limits.js';
import { UsageError } from '../errors.js';
import { kindOf } from '../bounded-file.js';
import { readUpTo } from '../read-up-to.js';

export interface ConfigFile {
  path: string;
  mode: number;
  json: LosslessJson;
}

/**
 * Throws ENOENT or SyntaxError as they come: the real runtime reports those in its own words.
 * Anything but a regular file (a FIFO would block the open forever, a directory or device is no
 * config) is a UsageError at once, as is a file over the size bound.
 */
export function readConfigFile(path: string): ConfigFile {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`${path} is ${kindOf(st)}, not a regular file`);
    const data = readUpTo(fd, MAX_CONFIG_BYTES + 1, st.size);
    if (data.length > MAX_CONFIG_BYTES) throw new UsageError(`${path} is over the limit of ${MAX_CONFIG_BYTES} bytes`);
    return { path, mode: st.mode & 0o7777, json: parseLossless(data.toString('utf8')) };
  } finally {
    closeSync(fd);
  }
}

export function writeConfigFile(file: ConfigFile, value: unknown): void {
  writeFileAtomic(file.path, `${file.json.stringify(value)}\n`, { mode: file.mode, durable: true });
}
