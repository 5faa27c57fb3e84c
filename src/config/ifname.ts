/** Interface names exactly as the kernel's dev_valid_name() and dev_alloc_name() accept them. */

/** IFNAMSIZ: names are at most IFNAMSIZ - 1 bytes. */
const IFNAMSIZ = 16;

/** undefined when valid, else why not (a phrase to follow the quoted name). */
export function validIfName(name: string): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.length === 0) return 'must not be empty';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes >= IFNAMSIZ) return `is ${bytes} bytes long (UTF-8); the kernel allows 1..${IFNAMSIZ - 1}`;
  if (name === '.' || name === '..') return `must not be "${name}"`;
  if (name.includes('/')) return 'must not contain "/"';
  if (name.includes(':')) return 'must not contain ":"';
  // The kernel's isspace(): space, \t, \n, \v, \f, \r.
  if (/[ \t\n\v\f\r]/.test(name)) return 'must not contain whitespace (space, tab, newline, \\v, \\f, \\r)';
  if (name.includes('\0')) return 'must not contain a NUL byte';
  return undefined;
}

/** A name holding a `%d` template (the kernel picks the number): exactly one `%`, and it is `%d`. */
export function isTemplate(name: string): boolean {
  return typeof name === 'string' && name.split('%').length === 2 && name.includes('%d');
}

/** undefined when the name holds no `%` or is a template the kernel accepts (dev_alloc_name: at most one `%`, followed by `d`). */
export function validTemplate(name: string): string | undefined {
  if (!name.includes('%') || isTemplate(name)) return undefined;
  return 'may hold at most one "%d" template and no other "%"';
}
