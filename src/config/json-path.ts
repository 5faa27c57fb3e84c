/**
 * JSON paths in the style `linux.netDevices[0].properties.mask` and
 * `linux.netDevices["eth1"].name`: fixed field names take a dot when they are
 * identifiers; names the user chose (host devices in the map form, ethtool
 * names, annotation keys) are always quoted in brackets.
 */

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A schema-defined field or an array index. */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENT.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A key the user chose. */
export function member(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`;
}

/** Objects whose keys the user chooses, by the field name that holds them. */
const USER_KEYED = new Set(['features', 'privateFlags']);

/**
 * Appends an ajv instancePath (`/0/properties/mtu`) to a base path.
 * `mapRoot`: the value at `base` is the map form, keyed by host names.
 */
export function fromPointer(base: string, pointer: string, mapRoot = false): string {
  if (pointer === '') return base;
  let path = base;
  let prev: string | undefined;
  let first = true;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if ((first && mapRoot) || (prev !== undefined && USER_KEYED.has(prev))) path = member(path, seg);
    else path = /^(0|[1-9][0-9]*)$/.test(seg) ? child(path, Number(seg)) : child(path, seg);
    prev = first && mapRoot ? undefined : seg;
    first = false;
  }
  return path;
}
