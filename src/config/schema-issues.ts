/** Turns ajv errors into ValidationIssues: our JSON paths, the device, and messages naming what was given and what is allowed. */
import type { ValidationIssue } from '../errors.js';
import { fromPointer, member, child } from './json-path.js';
import type { SchemaError } from './schema-check.js';

/** A short description of a JSON value for messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
      return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
    case 'boolean':
      return `${v}`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

const A: Record<string, string> = { integer: 'an integer', object: 'an object', array: 'an array', string: 'a string', boolean: 'a boolean', number: 'a number' };

function typeMessage(type: unknown, data: unknown): string {
  const types = (Array.isArray(type) ? type : [type]).map((t) => A[String(t)] ?? String(t));
  return `must be ${types.join(' or ')}, got ${describe(data)}`;
}

function rangeMessage(e: SchemaError): string {
  const ps = e.parentSchema ?? {};
  const min = typeof ps.minimum === 'number' ? ps.minimum : undefined;
  const max = typeof ps.maximum === 'number' ? ps.maximum : undefined;
  const range = min !== undefined && max !== undefined ? `${min}..${max}` : e.keyword === 'minimum' ? `at least ${min ?? String(e.params.limit)}` : `at most ${max ?? String(e.params.limit)}`;
  return `${JSON.stringify(e.data)} is out of range (allowed: ${range})`;
}

function message(e: SchemaError): string {
  switch (e.keyword) {
    case 'type':
      return typeMessage(e.params.type, e.data);
    case 'minimum':
    case 'maximum':
      return rangeMessage(e);
    case 'enum':
      return `${JSON.stringify(e.data)} is not allowed (allowed: ${Array.isArray(e.params.allowedValues) ? e.params.allowedValues.map((x) => JSON.stringify(x)).join(', ') : '?'})`;
    case 'maxItems':
    case 'maxProperties':
      return `too many entries: ${Array.isArray(e.data) ? e.data.length : typeof e.data === 'object' && e.data !== null ? Object.keys(e.data).length : '?'}, at most ${String(e.params.limit)} allowed`;
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * `base`: the JSON path of the validated value; `mapRoot`: the value is keyed by host names;
 * `deviceAt`: the host device a pointer belongs to.
 */
export function schemaIssues(errors: SchemaError[], base: string, mapRoot: boolean, deviceAt: (pointer: string) => string | undefined): ValidationIssue[] {
  return errors.map((e) => {
    let path = fromPointer(base, e.instancePath, mapRoot);
    let msg = message(e);
    const userKeyed = e.instancePath === '' ? mapRoot : /\/(features|privateFlags)$/.test(e.instancePath);
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      const key = e.params.additionalProperty;
      path = userKeyed ? member(path, key) : child(path, key);
      const props = e.parentSchema?.properties;
      const allowed = typeof props === 'object' && props !== null ? Object.keys(props) : [];
      msg = `unknown field ${JSON.stringify(key)}${allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''}`;
    } else if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') {
      path = child(path, e.params.missingProperty);
      msg = 'is required';
    }
    const issue: ValidationIssue = { path, message: msg };
    const device = deviceAt(e.instancePath);
    if (device !== undefined) issue.device = device;
    return issue;
  });
}
