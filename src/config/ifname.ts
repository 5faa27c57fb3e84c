/** Interface names exactly as the kernel's dev_valid_name() and dev_alloc_name() accept them. */

const IFNAMSIZ = 16;

/** undefined when valid, else why not. */
export function validIfName(name: string): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.length === 0) return 'must not be empty';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes >= IFNAMSIZ) return `is ${bytes} bytes long, the kernel allows at most ${IFNAMSIZ - 1}`;
  if (name === '.' || name === '..') return `must not be "${name}"`;
  if (name.includes('/')) return 'must not contain "/"';
  if (name.includes(':')) return 'must not contain ":"';
  // The kernel's isspace(): space, \t, \n, \v, \f, \r.
  if (/[ \t\n\v\f\r]/.test(name)) return 'must not contain whitespace';
  return undefined;
}

/** A name holding a `%d` template (the kernel picks the number). */
export function isTemplate(name: string): boolean {
  return name.includes('%');
}

/** undefined when the template is one the kernel accepts: exactly one `%`, followed by `d`. */
export function validTemplate(name: string): string | undefined {
  const count = name.split('%').length - 1;
  if (count === 0) return undefined;
  if (count > 1 || !name.includes('%d')) return 'may hold at most one "%d" template and no other "%"';
  return undefined;
}
