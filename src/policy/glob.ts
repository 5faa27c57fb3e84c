/**
 * Shell-style name globs for the policy file: `*`, `?`, `[abc]`, `[a-z]`,
 * `[!a-z]` (or `[^a-z]`), and `\` to quote the next character. Interface
 * names are at most 15 bytes, so a plain backtracking matcher is cheap.
 */

type Token = { kind: 'star' } | { kind: 'any' } | { kind: 'char'; c: string } | { kind: 'class'; negate: boolean; ranges: Array<[string, string]> };

export class GlobError extends Error {
  override name = 'GlobError';
}

export function parseGlob(glob: string): Token[] {
  const chars = [...glob];
  const out: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') {
      if (out.at(-1)?.kind !== 'star') out.push({ kind: 'star' });
    } else if (c === '?') out.push({ kind: 'any' });
    else if (c === '\\') {
      const next = chars[++i];
      if (next === undefined) throw new GlobError(`glob ${JSON.stringify(glob)} ends with a lone "\\"`);
      out.push({ kind: 'char', c: next });
    } else if (c === '[') {
      let j = i + 1;
      const negate = chars[j] === '!' || chars[j] === '^';
      if (negate) j++;
      const ranges: Array<[string, string]> = [];
      // A ']' right after '[' or '[!' is a member, as in the shell.
      let first = true;
      for (; j < chars.length && (chars[j] !== ']' || first); j++) {
        first = false;
        const lo = chars[j]!;
        if (chars[j + 1] === '-' && chars[j + 2] !== undefined && chars[j + 2] !== ']') {
          const hi = chars[j + 2]!;
          if (hi < lo) throw new GlobError(`glob ${JSON.stringify(glob)}: range ${lo}-${hi} is reversed`);
          ranges.push([lo, hi]);
          j += 2;
        } else ranges.push([lo, lo]);
      }
      if (j >= chars.length) throw new GlobError(`glob ${JSON.stringify(glob)}: "[" without a closing "]"`);
      out.push({ kind: 'class', negate, ranges });
      i = j;
    } else out.push({ kind: 'char', c });
  }
  return out;
}

function matchAt(tokens: readonly Token[], ti: number, name: readonly string[], ni: number): boolean {
  for (; ti < tokens.length; ti++, ni++) {
    const t = tokens[ti]!;
    if (t.kind === 'star') {
      for (let k = name.length; k >= ni; k--) if (matchAt(tokens, ti + 1, name, k)) return true;
      return false;
    }
    const c = name[ni];
    if (c === undefined) return false;
    if (t.kind === 'char' && t.c !== c) return false;
    if (t.kind === 'class' && t.ranges.some(([lo, hi]) => c >= lo && c <= hi) === t.negate) return false;
  }
  return ni === name.length;
}

export function globMatch(glob: string, name: string): boolean {
  return matchAt(parseGlob(glob), 0, [...name], 0);
}
