/**
 * The bundle's config.json, read and replaced atomically: a temp file in the
 * same directory (same mode), fsync, rename, fsync of the directory. A crash
 * leaves either the old or the new file, never a torn one.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
  const tmp = join(dirname(file.path), `.${basename(file.path)}.oci-netdevices.${process.pid}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, file.mode);
  try {
    writeSync(fd, `${file.json.stringify(value)}\n`);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file.path);
  const dfd = openSync(dirname(file.path), constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}
