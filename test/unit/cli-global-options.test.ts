import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFastHook } from '../../src/cli/entry.js';
import { GLOBAL_OPTIONS, globalOption, withEnvFallbacks } from '../../src/cli/global-options.js';
import { buildProgram } from '../../src/cli/main.js';

test('the fast path folds in each global option\'s variable; a flag wins; an empty variable is a value, as for commander', () => {
  const env = { OCI_NETDEVICES_STATE_DIR: '/env/state', OCI_NETDEVICES_TEARDOWN: 'kernel', OCI_NETDEVICES_TIMEOUT: '' };
  assert.deepEqual(withEnvFallbacks({ teardown: 'restore' }, env), { stateDir: '/env/state', teardown: 'restore', timeout: '' });
  assert.deepEqual(withEnvFallbacks({}, {}), {});
  for (const o of GLOBAL_OPTIONS) assert.deepEqual(withEnvFallbacks({}, { [o.env]: 'v' }), { [o.key]: 'v' }, o.env);
});

test('every option the fast path accepts is a global option of the full CLI, with the same variable and choices', () => {
  const program = buildProgram();
  for (const o of GLOBAL_OPTIONS) {
    const fast = parseFastHook([`--${o.flag}`, 'x', 'hook', 'poststop']);
    assert.deepEqual(fast?.options, { [o.flag]: 'x' }, o.flag);
    assert.equal(globalOption(`--${o.flag}`), o);
    const c = program.options.find((p) => p.long === `--${o.flag}`);
    assert.ok(c !== undefined, `--${o.flag} is a commander option`);
    assert.equal(c.envVar, o.env);
    assert.deepEqual(c.argChoices, o.choices);
  }
  assert.equal(program.options.length, GLOBAL_OPTIONS.length, 'no global option outside the table');
});
