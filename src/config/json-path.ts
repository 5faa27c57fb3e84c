/** JSON paths in the style `linux.netDevices[0].properties.mask` / `linux.netDevices["eth1"].name`. */

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENT.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Appends an ajv instancePath (`/0/properties/mtu`) to a base path. */
export function fromPointer(base: string, pointer: string): string {
  if (pointer === '') return base;
  let path = base;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = /^(0|[1-9][0-9]*)$/.test(seg) ? child(path, Number(seg)) : child(path, seg);
  }
  return path;
}
