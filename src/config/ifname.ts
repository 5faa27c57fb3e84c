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
  if (name.includes('\0')) return 'must not contain a NUL byte';
  // dev_valid_name() walks the UTF-8 bytes with the kernel's isspace() (lib/ctype.c), which is true
  // for 0x09-0x0d, 0x20 and 0xA0: a character whose UTF-8 form holds 0xA0 (U+00A0, U+0120, ...) is refused.
  const bad = Buffer.from(name, 'utf8').find((b) => KERNEL_SPACE.has(b));
  if (bad !== undefined) return `must not contain a byte the kernel counts as whitespace (0x${bad.toString(16).padStart(2, '0')}; the kernel's isspace() covers 0x09-0x0d, 0x20, 0xa0)`;
  return undefined;
}

const KERNEL_SPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]);

/** A name holding a `%d` template (the kernel picks the number): exactly one `%`, and it is `%d`. */
export function isTemplate(name: string): boolean {
  return typeof name === 'string' && name.split('%').length === 2 && name.includes('%d');
}

/** undefined when the name holds no `%` or is a template the kernel accepts (dev_alloc_name: at most one `%`, followed by `d`). */
export function validTemplate(name: string): string | undefined {
  if (!name.includes('%') || isTemplate(name)) return undefined;
  return 'may hold at most one "%d" template and no other "%"';
}
