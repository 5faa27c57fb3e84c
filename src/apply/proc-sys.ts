/**
 * The container netns' /proc/sys/net files, opened from inside that netns by
 * the native shim (the hook's own /proc/sys/net is the host's).
 */
import { closeSync, readSync, writeSync } from 'node:fs';
import { native } from '../native/binding.js';

export interface ProcSys {
  /** The file's value, trimmed. `path` is relative to /proc/sys/net/. */
  read(path: string): string;
  write(path: string, value: string): void;
}

export function procSysIn(netnsFd: number): ProcSys {
  const n = native();
  const open = (path: string, flags: number): number => n.openInNetns(netnsFd, `/proc/sys/net/${path}`, flags);
  return {
    read(path) {
      const fd = open(path, n.constants.O_RDONLY!);
      try {
        const buf = Buffer.alloc(256);
        const len = readSync(fd, buf, 0, buf.length, null);
        return buf.subarray(0, len).toString('utf8').trim();
      } finally {
        closeSync(fd);
      }
    },
    write(path, value) {
      const fd = open(path, n.constants.O_WRONLY!);
      try {
        writeSync(fd, `${value}\n`);
      } finally {
        closeSync(fd);
      }
    },
  };
}
