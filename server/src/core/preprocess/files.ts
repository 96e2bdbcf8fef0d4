// Reading headers and compile_commands.json safely: only under allowed roots (after
// realpath), only regular files, bounded in size, cached by path + mtime + size.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface HeaderReader { /** Absolute path -> text, or null when it does not exist / is not allowed / too large. */ read(absPath: string): string | null; }

/** An absolute POSIX path that path.resolve leaves as it is (no `//`, `.` or `..` part, no trailing `/`). */
const resolvedPosix = (s: string): boolean => path.sep === '/' && s.charCodeAt(0) === 47 && !/\/\.{0,2}(?:\/|$)/.test(s);

/** Is `p` equal to or below one of `roots`? (lexical; both absolute) */
export function isWithin(roots: readonly string[], p: string): boolean {
  const plain = resolvedPosix(p);
  for (const r of roots) {
    if (typeof r !== 'string' || !r) continue;
    if (plain && resolvedPosix(r)) {
      // what path.relative says below, by prefix (the header search asks this of many candidate paths)
      if (p === r || (p.startsWith(r) && p.charCodeAt(r.length) === 47 && !p.startsWith('..', r.length + 1))) return true;
      continue;
    }
    const rel = path.relative(path.resolve(r), p);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) return true;
  }
  return false;
}

interface Entry { text: string | null; mtimeMs: number; size: number; checkedAt: number }
const O_NONBLOCK = (fs.constants as Record<string, number>).O_NONBLOCK ?? 0;

/** A HeaderReader over node:fs that refuses paths outside `roots` (after realpath), non-regular files and files over maxBytes. */
export function fsHeaderReader(roots: readonly string[], opts?: { maxBytes?: number; statIntervalMs?: number }): HeaderReader {
  const maxBytes = opts?.maxBytes ?? 2 * 1024 * 1024;
  const interval = opts?.statIntervalMs ?? 2000;
  const lexRoots = roots.filter(r => typeof r === 'string' && path.isAbsolute(r)).map(r => path.resolve(r));
  let realRoots: string[] | null = null;
  const cache = new Map<string, Entry>();
  const remember = (p: string, e: Entry): string | null => {
    cache.delete(p);
    cache.set(p, e);
    while (cache.size > 4000) cache.delete(cache.keys().next().value as string);
    return e.text;
  };
  return {
    read(absPath: string): string | null {
      try {
        if (typeof absPath !== 'string' || !path.isAbsolute(absPath) || absPath.includes('\0')) return null;
        const p = resolvedPosix(absPath) ? absPath : path.resolve(absPath); // (include candidates are resolved already)
        if (!isWithin(lexRoots, p)) return null;
        const now = Date.now();
        const old = cache.get(p);
        if (old && now - old.checkedAt < interval) return old.text;
        realRoots ??= lexRoots.map(r => { try { return fs.realpathSync(r); } catch { return r; } });
        let real: string;
        // most paths asked are include candidates that do not exist: a stat says so without the exception realpath throws
        if (!fs.statSync(p, { throwIfNoEntry: false })) return remember(p, { text: null, mtimeMs: 0, size: -1, checkedAt: now });
        try { real = fs.realpathSync(p); } catch { return remember(p, { text: null, mtimeMs: 0, size: -1, checkedAt: now }); }
        if (!isWithin(realRoots, real)) return remember(p, { text: null, mtimeMs: 0, size: -1, checkedAt: now });
        const st = fs.statSync(real);
        if (!st.isFile() || st.size > maxBytes) return remember(p, { text: null, mtimeMs: st.mtimeMs, size: st.size, checkedAt: now });
        if (old && old.text !== null && old.mtimeMs === st.mtimeMs && old.size === st.size) {
          old.checkedAt = now;
          return old.text;
        }
        // Open non-blocking and re-check the opened file: a FIFO swapped in after the stat never blocks us.
        const fd = fs.openSync(real, fs.constants.O_RDONLY | O_NONBLOCK);
        try {
          const fst = fs.fstatSync(fd);
          if (!fst.isFile() || fst.size > maxBytes) return remember(p, { text: null, mtimeMs: fst.mtimeMs, size: fst.size, checkedAt: now });
          const buf = Buffer.alloc(fst.size);
          let n = 0;
          while (n < fst.size) {
            const k = fs.readSync(fd, buf, n, fst.size - n, n);
            if (k <= 0) break;
            n += k;
          }
          return remember(p, { text: buf.subarray(0, n).toString('utf8'), mtimeMs: fst.mtimeMs, size: fst.size, checkedAt: now });
        } finally { fs.closeSync(fd); }
      } catch {
        return null;
      }
    },
  };
}

/** Splits a shell command line (quotes and backslashes, no expansion). */
function shellSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '', has = false, q = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === q) q = '';
      else if (c === '\\' && q === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") { q = c; has = true; }
    else if (c === '\\' && i + 1 < s.length) { cur += s[++i]; has = true; }
    else if (/\s/.test(c)) { if (has || cur) out.push(cur); cur = ''; has = false; }
    else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

const FLAGS = ['-I', '-isystem', '-iquote', '-idirafter', '--include-directory', '--include-path'];

/** Reads `-I` / `-isystem` / `--include-directory` dirs from <root>/compile_commands.json (or <root>/build/), absolute and deduplicated. */
export function compileCommandsIncludeDirs(root: string, reader: HeaderReader): string[] {
  try {
    if (typeof root !== 'string' || !path.isAbsolute(root)) return [];
    let text: string | null = null;
    for (const c of [path.join(root, 'compile_commands.json'), path.join(root, 'build', 'compile_commands.json')]) {
      text = reader.read(c);
      if (text !== null) break;
    }
    if (text === null || text.length > 20 * 1024 * 1024) return [];
    const db: unknown = JSON.parse(text);
    if (!Array.isArray(db)) return [];
    const seen = new Set<string>();
    const out: string[] = [];
    for (const e of db.slice(0, 100000)) {
      if (!e || typeof e !== 'object') continue;
      const entry = e as { directory?: unknown; arguments?: unknown; command?: unknown };
      const dir = typeof entry.directory === 'string' && path.isAbsolute(entry.directory) ? entry.directory : root;
      const args = Array.isArray(entry.arguments) ? entry.arguments.filter((a): a is string => typeof a === 'string')
        : typeof entry.command === 'string' ? shellSplit(entry.command) : [];
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        let v: string | undefined;
        for (const f of FLAGS) {
          if (a === f) { v = args[++i]; break; }
          if (a.startsWith(f + '=')) { v = a.slice(f.length + 1); break; }
          if (a.startsWith(f) && f.length <= 9 && a.length > f.length) { v = a.slice(f.length); break; }
        }
        if (!v) continue;
        const abs = path.resolve(dir, v);
        if (!seen.has(abs)) { seen.add(abs); out.push(abs); }
      }
    }
    return out;
  } catch {
    return [];
  }
}

/** The variables a CMake path may start with that name the folder of the root CMakeLists.txt. */
const CMAKE_ROOT_VAR = /^\$\{(?:CMAKE_CURRENT_SOURCE_DIR|CMAKE_SOURCE_DIR|PROJECT_SOURCE_DIR|CMAKE_CURRENT_LIST_DIR)\}\/?/;

/**
 * The directories `include_directories(...)` and `target_include_directories(t PUBLIC ...)` of
 * <root>/CMakeLists.txt name, absolute: a project built with CMake and not yet configured (no
 * compile_commands.json) still says where its headers are. Paths under other variables are skipped.
 */
export function cmakeIncludeDirs(root: string, reader: HeaderReader): string[] {
  try {
    if (typeof root !== 'string' || !path.isAbsolute(root)) return [];
    const text = reader.read(path.join(root, 'CMakeLists.txt'));
    if (text === null || text.length > 2 * 1024 * 1024) return [];
    const out = new Set<string>();
    const code = text.replace(/#[^\n]*/g, '');
    for (const m of code.matchAll(/\b(?:target_)?include_directories\s*\(([^)]*)\)/gi)) {
      const words = m[1].trim().split(/\s+/).map((w) => w.replace(/^"|"$/g, ''));
      const isTarget = /^target_/i.test(m[0]);
      for (const [i, w] of words.entries()) {
        if (isTarget && i === 0) continue; // the target's name
        if (/^(?:PUBLIC|PRIVATE|INTERFACE|SYSTEM|BEFORE|AFTER)$/.test(w) || w === '') continue;
        const rel = w.replace(CMAKE_ROOT_VAR, '');
        if (rel.includes('$') || rel.includes('<')) continue; // another variable or a generator expression
        out.add(path.resolve(root, rel));
        if (out.size >= 200) return [...out];
      }
    }
    return [...out];
  } catch {
    return [];
  }
}
