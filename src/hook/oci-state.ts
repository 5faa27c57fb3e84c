/**
 * The container state a runtime writes on a hook's stdin.
 * runc: {"ociVersion","id","status":"creating","pid","bundle"}; crun adds "root"
 * and says "created"; podman adds "annotations". poststop states may lack pid.
 */
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import { isContainerId } from '../state/state-dir.js';

/** The runtime-spec major this hook reads (its state and config shapes). */
const SPEC_MAJOR = 1;

export interface OciState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations: Record<string, string>;
}

export function parseOciState(text: string): OciState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`container state on stdin is not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError('container state on stdin must be a JSON object');
  const o = raw as Record<string, unknown>;
  const str = (k: string): string => {
    const v = o[k];
    if (typeof v !== 'string' || v === '') throw new UsageError(`container state: "${k}" must be a non-empty string`);
    return v;
  };
  const id = str('id');
  if (!isContainerId(id)) throw new UsageError(`container state: id ${JSON.stringify(id)} is not a valid container id`);
  const bundle = str('bundle');
  if (!bundle.startsWith('/')) throw new UsageError(`container state: bundle ${JSON.stringify(bundle)} must be an absolute path`);
  const state: OciState = {
    ociVersion: specVersion(o.ociVersion),
    id,
    status: typeof o.status === 'string' ? o.status : '',
    bundle,
    annotations: {},
  };
  if (o.pid !== undefined && o.pid !== 0) {
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid < 1) throw new UsageError(`container state: pid ${JSON.stringify(o.pid)} must be a positive integer`);
    state.pid = o.pid;
  }
  const ann = o.annotations;
  if (typeof ann === 'object' && ann !== null && !Array.isArray(ann)) {
    for (const [k, v] of Object.entries(ann)) if (typeof v === 'string') state.annotations[k] = v;
  }
  return state;
}

/** `ociVersion` is optional here (fake states in tests omit it), but when given it must be runtime-spec 1.x. */
function specVersion(v: unknown): string {
  if (v === undefined) return '';
  const major = typeof v === 'string' ? specMajor(v) : undefined;
  if (major === undefined) throw new UsageError(`container state: ociVersion ${JSON.stringify(v)} is not a semantic version`);
  if (major !== SPEC_MAJOR) throw new UsageError(`container state: ociVersion ${JSON.stringify(v)} is runtime-spec ${major}.x; this hook reads ${SPEC_MAJOR}.x`);
  return v as string;
}

/**
 * SemVer 2.0.0 exactly (the grammar's regular expression, semver.org), with numbers of at most
 * 15 digits: what every runtime writes, read without loading semver, whose module builds some 80
 * regular expressions (about a millisecond of a cold hook's start). Anything else is semver's to judge.
 */
const STRICT_SEMVER = /^(0|[1-9]\d{0,14})\.(?:0|[1-9]\d{0,14})\.(?:0|[1-9]\d{0,14})(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

interface SemverLike { major: number }
type SemverFn = (v: string) => SemverLike | null;

/** The runtime-spec major of `v`; undefined when it is no version. crun 1.8 writes "1.0": read loosely. */
export function specMajor(v: string): number | undefined {
  const strict = v.length <= 256 ? STRICT_SEMVER.exec(v) : null;
  if (strict !== null) return Number(strict[1]);
  const load = createRequire(import.meta.url);
  const parse = load('semver/functions/parse.js') as SemverFn;
  const coerce = load('semver/functions/coerce.js') as SemverFn;
  return (parse(v) ?? (/^\d+(\.\d+){0,2}$/.test(v) ? coerce(v) : null))?.major;
}

export function requirePid(state: OciState, stage: string): number {
  if (state.pid === undefined) throw new UsageError(`container state for ${stage} has no pid: cannot find the container's network namespace`);
  return state.pid;
}
