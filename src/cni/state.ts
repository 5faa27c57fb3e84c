/**
 * cni.json in the container's state directory: what DEL needs for each
 * attachment. Written (atomically) before each ADD with the config alone,
 * so that recovery after a SIGKILL can run DEL with the config (the spec
 * allows a DEL without prevResult), and again with the result once ADD
 * returned, before anything else happens. Parsed strictly: the file is ours,
 * but recovery must never act on a half-understood record.
 */
import { readRecordFile, writeFileAtomic } from '../state/atomic-file.js';
import { StateParseError } from '../state/records.js';
import type { StateDir } from '../state/state-dir.js';
import { isIfname } from '../state/state-dir.js';
import { type CniAttachment, type NetConfList, type Obj, isCniVersion, isObj } from './model.js';
import { CniResultError, parseResult } from './result.js';

export interface SavedAttachment extends CniAttachment {
  /** The list's result, once ADD returned it. */
  result?: Obj;
}

export interface CniRecord {
  version: 1;
  id: string;
  /** CNI_NETNS at ADD: the pin (restore mode) or /proc/<pid>/ns/net (kernel mode). */
  netns: string;
  /** Device and inode of that netns at ADD: a /proc path is only used again while it is the same namespace. */
  netnsId: string;
  args: Array<[string, string]>;
  cniPath: string[];
  /**
   * The PATH the attaching hook ran the plugins with (a daemon serves hooks of many callers):
   * their DEL and CHECK get the same. Absent in records of earlier versions: this process's PATH.
   */
  path?: string;
  attachments: SavedAttachment[];
}

function fail(path: string, what: string): never {
  throw new StateParseError(`${path}: ${what}`);
}

function strings(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail(path, 'must be an array of strings');
  return v as string[];
}

function parseList(v: unknown, path: string): NetConfList {
  if (!isObj(v)) fail(path, 'must be an object');
  if (!isCniVersion(v.cniVersion)) fail(`${path}.cniVersion`, 'must be a supported CNI version');
  if (typeof v.name !== 'string') fail(`${path}.name`, 'must be a string');
  if (!Array.isArray(v.plugins) || v.plugins.length === 0 || v.plugins.some((p) => !isObj(p) || typeof p.type !== 'string')) fail(`${path}.plugins`, 'must be a list of plugin configs with a type');
  const list: NetConfList = { cniVersion: v.cniVersion, name: v.name, plugins: v.plugins as Obj[] };
  if (v.disableCheck === true) list.disableCheck = true;
  return list;
}

function parseAttachment(v: unknown, path: string): SavedAttachment {
  if (!isObj(v)) fail(path, 'must be an object');
  if (typeof v.ifName !== 'string' || !isIfname(v.ifName)) fail(`${path}.ifName`, 'must be an interface name');
  if (typeof v.index !== 'number' || !Number.isInteger(v.index) || v.index < 0) fail(`${path}.index`, 'must be an index');
  const a: SavedAttachment = { index: v.index, ifName: v.ifName, config: parseList(v.config, `${path}.config`) };
  if (v.result !== undefined) {
    try {
      a.result = parseResult(v.result, `${path}.result`).raw;
    } catch (e) {
      if (e instanceof CniResultError) fail(`${path}.result`, e.message);
      throw e;
    }
  }
  return a;
}

export function parseCniRecord(text: string, what = 'cni.json'): CniRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    fail(what, `not JSON (${(e as Error).message})`);
  }
  if (!isObj(v)) fail(what, 'must be an object');
  if (v.version !== 1) fail(`${what}.version`, 'must be 1');
  for (const k of ['id', 'netns', 'netnsId'] as const) if (typeof v[k] !== 'string') fail(`${what}.${k}`, 'must be a string');
  const netns = v.netns as string;
  if (netns !== '' && (!netns.startsWith('/') || netns.split('/').includes('..'))) fail(`${what}.netns`, 'must be an absolute path');
  if (!Array.isArray(v.args) || v.args.some((p) => !Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string')) fail(`${what}.args`, 'must be a list of [key, value] strings');
  if (!Array.isArray(v.attachments)) fail(`${what}.attachments`, 'must be an array');
  return {
    version: 1,
    id: v.id as string,
    netns,
    netnsId: v.netnsId as string,
    args: v.args as Array<[string, string]>,
    cniPath: strings(v.cniPath, `${what}.cniPath`),
    ...(v.path !== undefined ? { path: typeof v.path === 'string' ? v.path : fail(`${what}.path`, 'must be a string') } : {}),
    attachments: v.attachments.map((a, i) => parseAttachment(a, `${what}.attachments[${i}]`)),
  };
}

export function writeCniRecord(dir: StateDir, r: CniRecord): void {
  writeFileAtomic(dir.containerFile(r.id, 'cni.json', true), `${JSON.stringify(r)}\n`);
}

export function readCniRecord(dir: StateDir, id: string): CniRecord | undefined {
  const text = readRecordFile(dir.containerFile(id, 'cni.json'), `cni.json of container ${id}`);
  return text === undefined ? undefined : parseCniRecord(text, `cni.json of container ${id}`);
}
