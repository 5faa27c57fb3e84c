/** The wrapper's argv parsing: runc (urfave/cli + Go flag) and crun (argp) forms, as engines call them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRuntimeArgs, takeRuntimeFlag } from '../../src/runtime/argv.js';

const p = parseRuntimeArgs;

test('containerd (runc shim v2): globals with values, then create with --bundle, --pid-file, --console-socket', () => {
  assert.deepEqual(
    p(['--root', '/run/containerd/runc/k8s.io', '--log', '/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1/log.json', '--log-format', 'json',
      'create', '--bundle', '/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1', '--pid-file', '/run/x/init.pid', '--console-socket', '/tmp/pty.sock', 'c1']),
    { subcommandAt: 6, subcommand: 'create', bundle: '/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1', id: 'c1' },
  );
  // with the systemd cgroup driver
  assert.deepEqual(p(['--root', '/r', '--log', '/l', '--log-format', 'json', '--systemd-cgroup', 'create', '--bundle', '/b', '--pid-file', '/p', 'c2']),
    { subcommandAt: 7, subcommand: 'create', bundle: '/b', id: 'c2' });
  // containerd's delete and kill
  assert.deepEqual(p(['--root', '/r', '--log', '/l', '--log-format', 'json', 'delete', '--force', 'c1']), { subcommandAt: 6, subcommand: 'delete', id: 'c1' });
  assert.deepEqual(p(['--root', '/r', 'kill', 'c1', '9']), { subcommandAt: 2, subcommand: 'kill' });
});

test('podman/conmon: --root and --systemd-cgroup (boolean), create with --no-new-keyring', () => {
  assert.deepEqual(
    p(['--root', '/run/runc', '--systemd-cgroup', 'create', '--bundle', '/var/lib/containers/storage/overlay-containers/abc/userdata', '--pid-file', '/run/p', '--no-new-keyring', 'abc']),
    { subcommandAt: 3, subcommand: 'create', bundle: '/var/lib/containers/storage/overlay-containers/abc/userdata', id: 'abc' },
  );
  // podman with crun and --log (conmon passes the runtime's log file)
  assert.deepEqual(p(['--root', '/run/crun', '--log', '/x/log', '--cgroup-manager', 'systemd', 'create', '--bundle', '/b', 'id']),
    { subcommandAt: 6, subcommand: 'create', bundle: '/b', id: 'id' });
  assert.deepEqual(p(['--root', '/run/runc', '--systemd-cgroup', 'delete', '--force', 'abc']), { subcommandAt: 3, subcommand: 'delete', id: 'abc' });
});

test('every runc/crun global that takes a value is skipped with its value', () => {
  for (const g of ['--root', '--log', '--log-format', '--criu', '--rootless', '--cgroup-manager']) {
    assert.deepEqual(p([g, 'create', 'delete', 'x']), { subcommandAt: 2, subcommand: 'delete', id: 'x' }, g);
    assert.deepEqual(p([`${g}=create`, 'delete', 'x']), { subcommandAt: 1, subcommand: 'delete', id: 'x' }, `${g}=`);
    assert.deepEqual(p([`-${g.slice(2)}`, 'create', 'delete', 'x']), { subcommandAt: 2, subcommand: 'delete', id: 'x' }, `Go single-dash ${g}`);
  }
  for (const b of ['--debug', '--systemd-cgroup', '--debug=true', '-debug']) assert.deepEqual(p([b, 'run', 'x']), { subcommandAt: 1, subcommand: 'run', id: 'x' }, b);
});

test('bundle spellings: --bundle X, --bundle=X, -b X, -b=X, -bundle X (Go), -bX (crun), --b X (Go)', () => {
  for (const form of [['--bundle', '/b'], ['--bundle=/b'], ['-b', '/b'], ['-b=/b'], ['-bundle', '/b'], ['-bundle=/b'], ['-b/b'], ['--b', '/b']]) {
    assert.deepEqual(p(['run', ...form, 'x']), { subcommandAt: 0, subcommand: 'run', bundle: '/b', id: 'x' }, form.join(' '));
  }
  assert.deepEqual(p(['run', 'x']), { subcommandAt: 0, subcommand: 'run', id: 'x' }, 'no bundle: cwd');
  assert.equal(p(['create', '-b', 'rel/dir', 'x']).bundle, 'rel/dir');
});

test('flags after the id (urfave/cli v1 reorders them) and values that look like ids', () => {
  assert.deepEqual(p(['create', 'x', '--bundle', '/b']), { subcommandAt: 0, subcommand: 'create', bundle: '/b', id: 'x' });
  assert.deepEqual(p(['run', '--pid-file', 'pidfile', '--console-socket', 'sock', '--preserve-fds', '2', '-d', 'x']), { subcommandAt: 0, subcommand: 'run', id: 'x' });
  assert.deepEqual(p(['run', '--detach', '--keep', '--no-pivot', '--no-subreaper', '-b', '/b', 'x']), { subcommandAt: 0, subcommand: 'run', bundle: '/b', id: 'x' });
});

test('crun --config/-f names the config file (relative to the bundle)', () => {
  assert.deepEqual(p(['create', '--config', 'other.json', '-b', '/b', 'x']), { subcommandAt: 0, subcommand: 'create', bundle: '/b', config: 'other.json', id: 'x' });
  assert.deepEqual(p(['run', '-f', 'c.json', 'x']), { subcommandAt: 0, subcommand: 'run', config: 'c.json', id: 'x' });
  assert.deepEqual(p(['run', '-fc.json', 'x']), { subcommandAt: 0, subcommand: 'run', config: 'c.json', id: 'x' });
  // delete -f is --force, not a config file
  assert.deepEqual(p(['delete', '-f', 'x']), { subcommandAt: 0, subcommand: 'delete', id: 'x' });
});

test('-- ends options; no subcommand; other subcommands', () => {
  assert.deepEqual(p(['run', '-b', '/b', '--', '-odd-id']), { subcommandAt: 0, subcommand: 'run', bundle: '/b', id: '-odd-id' });
  assert.deepEqual(p(['--root', '/r', '--', 'delete', 'x']), { subcommandAt: 3, subcommand: 'delete', id: 'x' });
  assert.deepEqual(p(['--root', '/r', 'state', 'x']), { subcommandAt: 2, subcommand: 'state' });
  assert.deepEqual(p(['--version']), { subcommandAt: -1 });
  assert.deepEqual(p(['--root', '/r']), { subcommandAt: -1 });
  assert.deepEqual(p([]), { subcommandAt: -1 });
  assert.deepEqual(p(['features']), { subcommandAt: 0, subcommand: 'features' });
  assert.deepEqual(p(['exec', '--pid-file', '/p', 'x', 'sh']), { subcommandAt: 0, subcommand: 'exec' }, 'only create/run/delete are parsed further');
});

test('--oci-netdevices-runtime (podman --runtime-flag) is taken out of the globals, never passed on', () => {
  assert.deepEqual(takeRuntimeFlag(['--oci-netdevices-runtime=crun', '--root', '/run/x', 'create', '-b', 'b', 'id']), { args: ['--root', '/run/x', 'create', '-b', 'b', 'id'], runtime: 'crun' });
  assert.deepEqual(takeRuntimeFlag(['--log', '/l', '--oci-netdevices-runtime', '/opt/crun', 'state', 'id']), { args: ['--log', '/l', 'state', 'id'], runtime: '/opt/crun' });
  // After the subcommand it belongs to the container (exec's process arguments): untouched.
  const exec = ['exec', 'id', 'sh', '--oci-netdevices-runtime=crun'];
  assert.deepEqual(takeRuntimeFlag(exec), { args: exec });
  // A global's value that happens to look like our flag stays that global's value.
  assert.deepEqual(takeRuntimeFlag(['--log', '--oci-netdevices-runtime=x', 'delete', 'id']), { args: ['--log', '--oci-netdevices-runtime=x', 'delete', 'id'] });
  assert.deepEqual(parseRuntimeArgs(takeRuntimeFlag(['--oci-netdevices-runtime', 'crun', 'delete', 'c1']).args), { subcommandAt: 0, subcommand: 'delete', id: 'c1' });
});
