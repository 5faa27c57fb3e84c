/**
 * What the hook remembers per container. Written before the first move
 * (phase "applying": the crash journal, with every device's host original)
 * and again once done (phase "ready", with where each device now lives).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceRecord, HostOriginal } from '../apply/record.js';
import { readFileNoFollow, writeFileAtomic } from './atomic-file.js';
import type { StateDir } from './state-dir.js';

export type TeardownMode = 'restore' | 'kernel';

export interface JournalDevice {
  hostName: string;
  containerName: string;
  original: HostOriginal;
  /** Set once known (phase ready). */
  containerIndex?: number;
  movedByRuntime?: boolean;
  /** MAC the device may carry in the container, to find it after a crash. */
  hardwareAddr?: string;
}

export interface ContainerState {
  version: 1;
  id: string;
  phase: 'applying' | 'ready';
  /** The hook process that wrote the journal, and its start time (pids are reused). */
  hookPid: number;
  hookStart: string;
  teardown: TeardownMode;
  /** Bind-mount pin of the container netns (restore mode). */
  netnsPin?: string;
  devices: JournalDevice[];
}

const FILE = 'state.json';

export function writeContainerState(dir: StateDir, s: ContainerState): void {
  writeFileAtomic(join(dir.containerDir(s.id, true), FILE), `${JSON.stringify(s, null, 1)}\n`);
}

export function readContainerState(dir: StateDir, id: string): ContainerState | undefined {
  const text = readFileNoFollow(join(dir.containerDir(id, false), FILE));
  if (text === undefined) return undefined;
  const parsed = JSON.parse(text) as unknown;
  if (!isContainerState(parsed)) throw new Error(`state of container ${id} is corrupt`);
  return parsed;
}

export function removeContainerState(dir: StateDir, id: string): void {
  rmSync(dir.containerDir(id, false), { recursive: true, force: true });
}

export function listContainerIds(dir: StateDir): string[] {
  try {
    return readdirSync(join(dir.root, 'containers'));
  } catch {
    return [];
  }
}

function isContainerState(v: unknown): v is ContainerState {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return o.version === 1 && typeof o.id === 'string' && (o.phase === 'applying' || o.phase === 'ready') && typeof o.hookPid === 'number'
    && typeof o.hookStart === 'string' && (o.teardown === 'restore' || o.teardown === 'kernel') && Array.isArray(o.devices)
    && o.devices.every((d) => typeof d === 'object' && d !== null && typeof (d as JournalDevice).hostName === 'string' && typeof (d as JournalDevice).original === 'object');
}

/** Process start time from /proc (field 22), to tell a live hook from a reused pid. */
export function processStartTime(pid: number): string | undefined {
  const stat = readFileNoFollow(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

export function toRecordList(s: ContainerState): DeviceRecord[] {
  return s.devices.map((d) => ({ hostName: d.hostName, containerName: d.containerName, containerIndex: d.containerIndex ?? 0, movedByRuntime: d.movedByRuntime ?? false, original: d.original }));
}
