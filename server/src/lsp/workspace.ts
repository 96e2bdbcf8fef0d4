// What the language server may read: files under the workspace folders the client opened
// (and the configured include directories), judged after symlinks are resolved, regular
// files only, with a size limit. Nothing else on disk is ever opened.
import { realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isWithin } from '../core/preprocess/files';
import { readRegularFile, stripBom } from '../core/files';

/** A file: URI as a path; other schemes (untitled:) come back unchanged and are never under a root. */
export function uriToPath(uri: string): string {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  } catch {
    return uri;
  }
}

export type Read = { ok: true; text: string } | { ok: false; missing: boolean; message: string };

export class WorkspaceAccess {
  private roots: string[] = [];
  private realRoots: string[] = [];

  /** The directories files may be read from (absolute; others are dropped). */
  setRoots(roots: readonly string[]): void {
    this.roots = [...new Set(roots.filter((r) => typeof r === 'string' && isAbsolute(r)).map((r) => resolve(r)))];
    this.realRoots = this.roots.map((r) => {
      try {
        return realpathSync(r);
      } catch {
        return r;
      }
    });
  }

  /** Is `path` (lexically) under one of the roots? */
  allows(path: string): boolean {
    return isAbsolute(path) && !path.includes('\0') && isWithin(this.roots, resolve(path));
  }

  /** Reads a file under the roots (also after resolving symlinks), of at most `maxBytes`. */
  read(path: string, maxBytes: number): Read {
    if (!this.allows(path)) return { ok: false, missing: false, message: 'outside the workspace folders' };
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return { ok: false, missing: true, message: 'no such file' };
    }
    if (!isWithin(this.realRoots, real)) return { ok: false, missing: false, message: 'a link to a file outside the workspace folders' };
    const r = readRegularFile(real, maxBytes);
    return r.ok ? { ok: true, text: stripBom(r.text) } : { ok: false, missing: r.reason === 'missing', message: r.message };
  }
}
