/**
 * JSON round trip that keeps integers JSON.parse would round: config.json
 * may hold uint64 values (RLIM_INFINITY 18446744073709551615 in rlimits,
 * int64 limits) that the real runtime must read back exactly. Such literals
 * are parsed as marker strings and written back as the original digits.
 */

export interface LosslessJson {
  value: unknown;
  /** Serialises `v` (the parsed value, possibly edited), restoring the big integers. */
  stringify(v: unknown, indent?: number): string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseLossless(text: string): LosslessJson {
  const marker = `ond-bigint-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}:`;
  let out = '';
  let last = 0;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      continue;
    }
    if (c !== 0x2d /* - */ && (c < 0x30 || c > 0x39)) continue;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) continue;
    const lit = m[0];
    if (/^-?\d+$/.test(lit) && !Number.isSafeInteger(Number(lit))) {
      out += `${text.slice(last, i)}"${marker}${lit}"`;
      last = i + lit.length;
      found = true;
    }
    i += lit.length - 1;
  }
  const value: unknown = JSON.parse(found ? out + text.slice(last) : text);
  const back = new RegExp(`"${marker}(-?\\d+)"`, 'g');
  return {
    value,
    stringify: (v, indent) => {
      const s = JSON.stringify(v, null, indent);
      return found ? s.replace(back, '$1') : s;
    },
  };
}
