/**
 * Netlink waits are bounded and dumps consistent: a kernel that never answers becomes
 * "kernel did not answer <op>" (the socket's receive timeout), and a dump the kernel marks
 * NLM_F_DUMP_INTR is read again, a bounded number of times, then reported.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reportError } from '../../src/cli/error-sink.js';
import { NL, RTNL } from '../../src/netlink/constants.js';
import { linkList, linkSetMtu } from '../../src/netlink/link.js';
import { DUMP_RETRIES, DumpInterruptedError, KernelTimeoutError, NetlinkSocket } from '../../src/netlink/socket.js';
import { native } from '../../src/native/binding.js';
import { type FakeRequest, FakeRtnlKernel } from './fake-rtnl-kernel.js';

function kernel(): FakeRtnlKernel {
  return new FakeRtnlKernel({ links: [{ index: 1, name: 'lo', mtu: 65536, up: true }, { index: 7, name: 'eth1', mtu: 1500 }] });
}

const notDump = (r: FakeRequest): boolean => (r.message.flags & NL.NLM_F_DUMP) !== NL.NLM_F_DUMP;
const dumps = (k: FakeRtnlKernel): number => k.requests.filter((r) => r.message.type === RTNL.RTM_GETLINK && (r.message.flags & NL.NLM_F_DUMP) === NL.NLM_F_DUMP).length;

test('a request the kernel never answers: "kernel did not answer <op>", exit 4, one line', () => {
  const k = kernel().silence({ when: notDump });
  const sock = new NetlinkSocket(k, 'container');
  assert.throws(() => sock.run(linkSetMtu(7, 1400)), (e: unknown) => {
    assert.ok(e instanceof KernelTimeoutError, String(e));
    assert.match(e.message, /^kernel did not answer set mtu 1400 on .* on the container netlink socket within its receive timeout$/);
    const lines: string[] = [];
    assert.equal(reportError(e, (l) => lines.push(l)), 4);
    assert.equal(lines.length, 1);
    return true;
  });
});

test('a batch with one unanswered request names it and counts the rest', () => {
  const k = kernel().silence({ when: notDump });
  const sock = new NetlinkSocket(k);
  assert.throws(() => sock.runBatch([linkSetMtu(7, 1400), linkSetMtu(7, 1300)]), /kernel did not answer set mtu 1400 .*\(and 1 more request\(s\) of the batch\)/);
});

test('the native socket has a receive timeout: a receive with nothing to come fails EAGAIN instead of blocking', () => {
  const n = native();
  const fd = n.netlinkOpen(NL.NETLINK_ROUTE, null, 0, 200);
  try {
    const t0 = Date.now();
    assert.throws(() => n.netlinkRecv(fd), (e: unknown) => (e as { code?: string }).code === 'EAGAIN');
    const took = Date.now() - t0;
    assert.ok(took >= 150 && took < 2000, `waited ${took} ms`);
    // Through the socket layer: the same wait becomes the clear error.
    const sock = new NetlinkSocket({ send: () => undefined, recv: () => n.netlinkRecv(fd), close: () => undefined }, 'host');
    assert.throws(() => sock.run(linkList()), /^KernelTimeoutError: kernel did not answer list links on the host netlink socket/);
  } finally {
    n.close(fd);
  }
});

test('an interrupted dump is read again; the clean second reading is the answer', () => {
  const k = kernel().interruptDumps(1);
  const links = new NetlinkSocket(k).run(linkList());
  assert.deepEqual(links.map((l) => l.name), ['lo', 'eth1']);
  assert.equal(dumps(k), 2, 'dumped twice');
});

test(`a dump interrupted ${DUMP_RETRIES + 1} times in a row is reported (exit 4), not used`, () => {
  const k = kernel().interruptDumps(DUMP_RETRIES + 1);
  assert.throws(() => new NetlinkSocket(k).run(linkList()), (e: unknown) => {
    assert.ok(e instanceof DumpInterruptedError, String(e));
    assert.match(e.message, new RegExp(`^list links: EINTR .*dump interrupted ${DUMP_RETRIES + 1} time\\(s\\) in a row`));
    assert.equal(reportError(e, () => undefined), 4);
    return true;
  });
  assert.equal(dumps(k), DUMP_RETRIES + 1);
});

test('in a batch only the interrupted dump is read again', () => {
  // A socket runs one dump at a time (a second in the batch would be EBUSY): one dump among changes.
  const k = kernel().interruptDumps(1);
  const out = new NetlinkSocket(k).runBatch<unknown>([linkSetMtu(7, 9000), linkList()]);
  assert.ok(out.every((o) => o.ok));
  assert.equal(dumps(k), 2);
  assert.equal(k.requests.filter((r) => r.message.type === RTNL.RTM_SETLINK || r.message.type === RTNL.RTM_NEWLINK).length, 1, 'the change is not sent again');
});
