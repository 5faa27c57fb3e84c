/**
 * JSON.parse keeps the last of two equal keys in an object, silently: in
 * `{"v1": {...}, "v1": {...}}` one device request vanishes. This pass walks
 * the text (already known to be valid JSON) and names the first repeated key
 * by its JSON path. Iterative, so nesting depth costs no stack.
 */
import { child, member } from './json-path.js';

interface Frame {
  /** Keys seen so far (objects only). */
  keys?: Set<string>;
  path: string;
  /** Next array index (arrays only). */
  index: number;
}

const WS = new Set([' ', '\t', '\n', '\r']);

/** Objects keyed by host device names (json-path.ts: names the user chose are quoted in brackets). */
const DEVICE_KEYED = /(^|\.)net[Dd]evices$/;

/**
 * `child` for a key or index, with the root (`base` '') spelled without a leading dot.
 * `base` non-empty (an annotation's value): its top-level keys are device names in the map form.
 */
function at(path: string, key: string | number, base: string): string {
  if (typeof key === 'string' && (DEVICE_KEYED.test(path) || (path === base && base !== ''))) return member(path, key);
  if (path !== '') return child(path, key);
  const p = child('x', key);
  return p.startsWith('x.') ? p.slice(2) : p.slice(1);
}

/** The JSON path of the first key repeated within one object of `text`, or undefined. `text` must be valid JSON. */
export function findDuplicateKey(text: string, base = ''): string | undefined {
  const stack: Frame[] = [];
  let i = 0;
  /** Path of the value about to be read. */
  let next = base;
  const readString = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (WS.has(c) || c === ':') {
      i++;
      continue;
    }
    const top = stack.at(-1);
    if (c === ',' || c === '}' || c === ']') {
      i++;
      if (c !== ',') stack.pop();
      continue;
    }
    // In an object, a string here is a key (values follow a ':').
    if (top?.keys !== undefined && c === '"' && expectingKey(text, i)) {
      const key = readString();
      next = at(top.path, key, base);
      if (top.keys.has(key)) return next;
      top.keys.add(key);
      continue;
    }
    if (top !== undefined && top.keys === undefined) next = at(top.path, top.index++, base);
    if (c === '{' || c === '[') {
      stack.push({ ...(c === '{' ? { keys: new Set<string>() } : {}), path: next, index: 0 });
      i++;
    } else if (c === '"') readString();
    else while (i < text.length && !WS.has(text[i]!) && text[i] !== ',' && text[i] !== '}' && text[i] !== ']') i++;
  }
  return undefined;
}

/** Whether the string at `i` is an object key: the previous token is '{' or ','. */
function expectingKey(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && WS.has(text[j]!)) j--;
  return text[j] === '{' || text[j] === ',';
}
