/**
 * A fake CNI plugin for unit tests: a Node script written to a temp dir
 * under several type names. What it does comes from its own config (stdin):
 * `log` (a file: one JSON line per call with verb, env, config, open fds),
 * `fail` (verbs it refuses with a spec error, space-separated; `failMsg` its msg), `failRaw` (a verb it fails
 * without one), `sleepMs`, `orphan` (leaves a child holding its stdout), `flood` (bytes of stdout), `badResult`, `address`.
 * ADD passes prevResult on with its own interface added, as chained plugins do.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = String.raw`
const fs = require('node:fs');
const conf = JSON.parse(fs.readFileSync(0, 'utf8'));
const verb = process.env.CNI_COMMAND;
const type = require('node:path').basename(process.argv[1]);
if (conf.log) {
  const fds = fs.readdirSync('/proc/self/fd').map((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd); } catch { return '?'; } });
  fs.appendFileSync(conf.log, JSON.stringify({ verb, type, env: process.env, conf, fds }) + '\n');
}
if (conf.orphan) require('node:child_process').spawn('sleep', ['5'], { stdio: ['ignore', 1, 'ignore'], detached: true }).unref();
if (conf.sleepMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, conf.sleepMs);
if (conf.flood) { fs.writeSync(1, 'x'.repeat(conf.flood)); process.exit(0); }
if (typeof conf.fail === 'string' && conf.fail.split(' ').includes(verb)) { process.stdout.write(JSON.stringify({ cniVersion: conf.cniVersion, code: 7, msg: conf.failMsg || type + ' refused ' + verb, details: 'as told' })); process.exit(1); }
if (conf.failRaw === verb) { process.stderr.write('panic: ' + type + ' crashed\n'); process.exit(2); }
if (verb !== 'ADD') process.exit(0);
if (conf.badResult) { process.stdout.write(JSON.stringify({ cniVersion: conf.cniVersion, ips: [{ address: 'nonsense' }] })); process.exit(0); }
const prev = conf.prevResult || { cniVersion: conf.cniVersion, interfaces: [], ips: [] };
const interfaces = [...(prev.interfaces || []), { name: process.env.CNI_IFNAME + '-' + type, mac: '02:00:00:00:00:0' + (prev.interfaces || []).length, sandbox: process.env.CNI_NETNS }];
const ips = [...(prev.ips || [])];
if (conf.address) ips.push({ address: conf.address, interface: interfaces.length - 1, ...(conf.cniVersion === '0.4.0' ? { version: '4' } : {}) });
process.stdout.write(JSON.stringify({ ...prev, cniVersion: conf.cniVersion, interfaces, ips }));
`;

export interface FakePlugins {
  dir: string;
  log: string;
  calls(): Array<{ verb: string; type: string; env: Record<string, string>; conf: Record<string, unknown>; fds: string[] }>;
  cleanup(): void;
}

export function fakePlugins(types: readonly string[]): FakePlugins {
  const dir = mkdtempSync(join(tmpdir(), 'ond-fake-cni-'));
  for (const t of types) {
    const file = join(dir, t);
    writeFileSync(file, `#!${process.execPath}\n${SCRIPT}`);
    chmodSync(file, 0o755);
  }
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  return {
    dir,
    log,
    calls: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
