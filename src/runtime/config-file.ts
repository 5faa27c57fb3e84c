/**
 * The bundle's config.json, read and replaced atomically and durably, keeping its mode.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../state/atomic-file.js';
import { type LosslessJson, parseLossless } from './lossless-json.js';

export interface ConfigFile {
  path: string;
  mode: number;
  json: LosslessJson;
}

/** Throws ENOENT or SyntaxError as they come: the real runtime reports those in its own words. */
export function readConfigFile(path: string): ConfigFile {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    const mode = fstatSync(fd).mode & 0o7777;
    return { path, mode, json: parseLossless(readFileSync(fd, 'utf8')) };
  } finally {
    closeSync(fd);
  }
}

export function writeConfigFile(file: ConfigFile, value: unknown): void {
  writeFileAtomic(file.path, `${file.json.stringify(value)}\n`, { mode: file.mode, durable: true });
}
