/** The log writer (src/log.ts): pino's line format, the level threshold, files kept per path, reopen after a rotation. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openLog, reopenLogs } from '../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'ond-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lines = (path: string): Array<Record<string, unknown>> => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test('a line is pino\'s: level number, time, pid, the bindings, the fields, msg last', async () => {
  const path = join(dir, 'a', 'format.log');
  const log = await openLog(path, { container: 'c1', stage: 'createRuntime' }, 'info');
  const t0 = Date.now();
  log.warn({ device: 'veth1', errno: 17 }, 'step failed');
  const [l] = lines(path);
  assert.deepEqual(Object.keys(l!), ['level', 'time', 'pid', 'container', 'stage', 'device', 'errno', 'msg']);
  assert.equal(l!.level, 40);
  assert.equal(l!.pid, process.pid);
  assert.ok(typeof l!.time === 'number' && l!.time >= t0 && l!.time <= Date.now());
  assert.equal(l!.msg, 'step failed');
});

test('levels below the threshold are not written; an unknown level or silent writes nothing', async () => {
  const path = join(dir, 'levels.log');
  const log = await openLog(path, {}, 'warn');
  log.debug({}, 'd');
  log.info({}, 'i');
  log.warn({}, 'w');
  log.error({}, 'e');
  assert.deepEqual(lines(path).map((l) => [l.level, l.msg]), [[40, 'w'], [50, 'e']]);
  for (const level of ['loud', 'silent']) {
    const quiet = join(dir, `${level}.log`);
    (await openLog(quiet, {}, level)).error({}, 'x');
    assert.equal(existsSync(quiet), false, level);
  }
  const debug = join(dir, 'debug.log');
  (await openLog(debug, {}, 'debug')).debug({ step: 'move' }, 'about to');
  assert.equal(lines(debug)[0]!.level, 20);
});

test('an Error field is written as pino\'s err serializer writes it; a field JSON cannot hold is reported, not lost', async () => {
  const path = join(dir, 'err.log');
  const log = await openLog(path, {}, 'info');
  log.error({ err: new RangeError('boom') }, 'failed');
  log.info({ big: 1n }, 'with a bigint');
  const [e, b] = lines(path);
  assert.deepEqual([(e!.err as Record<string, unknown>).type, (e!.err as Record<string, unknown>).message], ['RangeError', 'boom']);
  assert.match(String((e!.err as Record<string, unknown>).stack), /RangeError: boom/);
  assert.equal(b!.msg, 'with a bigint');
  assert.match(String(b!.logError), /fields not written/);
});

test('stages naming the same file share it; after a rotation reopenLogs writes to a new file under the name', async () => {
  const path = join(dir, 'rotate.log');
  const one = await openLog(path, { stage: 'a' }, 'info');
  const two = await openLog(path, { stage: 'b' }, 'info');
  one.info({}, 'before');
  renameSync(path, `${path}.1`);
  two.info({}, 'still the old file');
  reopenLogs();
  one.info({}, 'after');
  assert.deepEqual(lines(`${path}.1`).map((l) => l.msg), ['before', 'still the old file']);
  assert.deepEqual(lines(path).map((l) => [l.stage, l.msg]), [['a', 'after']]);
});

test('a log that cannot be opened is silent and never throws', async () => {
  const notADir = join(dir, 'plain-file');
  writeFileSync(notADir, '');
  const log = await openLog(join(notADir, 'x.log'), {}, 'info');
  assert.doesNotThrow(() => log.error({}, 'nowhere'));
});
