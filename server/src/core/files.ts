// Reading a file the user pointed us at, safely: only a regular file (a FIFO, socket or
// device such as /dev/zero would block or never end), with the size limit applied
// before reading, and re-checked on the opened descriptor in case the path changed.
import * as fs from 'node:fs';

export type ReadResult =
  | { ok: true; text: string }
  | { ok: false; reason: 'missing' | 'not-regular' | 'too-large' | 'unreadable'; message: string; size?: number };

const O_NONBLOCK = (fs.constants as Record<string, number>).O_NONBLOCK ?? 0;

/** What kind of thing a non-regular file is, for messages. */
export function kindOf(st: Pick<fs.Stats, 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

const tooLarge = (size: number, maxBytes: number): ReadResult => ({
  ok: false,
  reason: 'too-large',
  size,
  message: `the file is ${Math.ceil(size / 1024)} KiB, over the ${Math.round(maxBytes / 1024)} KiB limit`,
});

/**
 * Reads a regular file of at most `maxBytes` as UTF-8 (symlinks are followed: callers
 * decide which links may be). Never blocks on a FIFO and never reads past the limit.
 */
export function readRegularFile(path: string, maxBytes: number): ReadResult {
  let fd: number | undefined;
  try {
    const st = fs.statSync(path);
    if (!st.isFile()) return { ok: false, reason: 'not-regular', message: `not a regular file (${kindOf(st)})` };
    if (st.size > maxBytes) return tooLarge(st.size, maxBytes);
    // non-blocking, and checked again: a FIFO swapped in after the stat must not block the open or the read
    fd = fs.openSync(path, fs.constants.O_RDONLY | O_NONBLOCK);
    const fst = fs.fstatSync(fd);
    if (!fst.isFile()) return { ok: false, reason: 'not-regular', message: `not a regular file (${kindOf(fst)})` };
    if (fst.size > maxBytes) return tooLarge(fst.size, maxBytes);
    // one byte more than allowed tells a file that grew since the stat from one that did not
    const buf = Buffer.alloc(Math.min(maxBytes + 1, fst.size + 64 * 1024));
    let n = 0;
    for (;;) {
      const k = fs.readSync(fd, buf, n, buf.length - n, null);
      if (k <= 0) break;
      n += k;
      if (n === buf.length) break;
    }
    if (n > maxBytes) return tooLarge(n, maxBytes);
    return { ok: true, text: buf.toString('utf8', 0, n) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, reason: 'missing', message: 'no such file' };
    return { ok: false, reason: 'unreadable', message: `cannot read: ${code ?? (e as Error).message}` };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The first `bytes` bytes of a regular file (to tell what an oversized file is without reading it all), or null. */
export function readHead(path: string, bytes: number): string | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | O_NONBLOCK);
    if (!fs.fstatSync(fd).isFile()) return null;
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.toString('utf8', 0, n);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** JSON text as editors save it: a UTF-8 byte-order mark is not part of the document. */
export const stripBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
