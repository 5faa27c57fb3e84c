/**
 * Two places start Node with the environment we choose: bin/node-env.sh (the sh launchers) and
 * native/front/front.c (the hook's front door, which runs node itself when no daemon answers).
 * They must drop the same variables; this test holds their lists equal.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');

/** The patterns of node-env.sh's `case` arm that drops a variable: NODE_* | UV_* | OPENSSL_CONF ... */
function shellPatterns(): string[] {
  const sh = readFileSync(join(ROOT, 'bin', 'node-env.sh'), 'utf8');
  const arm = sh.split('\n').find((l) => /^\s*NODE_\*/.test(l));
  assert.ok(arm !== undefined, 'node-env.sh has a case arm starting NODE_*');
  return arm.replace(/\)\s*;;.*$/, '').split('|').map((p) => p.trim()).sort();
}

/** front.c's NODE_ENV_PREFIXES (as NAME*) and NODE_ENV_NAMES. */
function nativePatterns(): string[] {
  const c = readFileSync(join(ROOT, 'native', 'front', 'front.c'), 'utf8');
  const list = (name: string): string[] => {
    const m = new RegExp(`${name}\\[\\] = \\{([^}]*)\\}`).exec(c);
    assert.ok(m !== null, `front.c defines ${name}`);
    return [...m[1]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]!);
  };
  return [...list('NODE_ENV_PREFIXES').map((p) => `${p}*`), ...list('NODE_ENV_NAMES')].sort();
}

test("the front door drops exactly the variables bin/node-env.sh drops before Node starts", () => {
  const sh = shellPatterns();
  assert.ok(sh.includes('NODE_*') && sh.includes('SSL_CERT_FILE'), `parsed the shell list: ${sh.join(' ')}`);
  assert.deepEqual(nativePatterns(), sh);
});
