// The files `kernel-advisor check PATH...` analyses. Directories are walked in sorted
// order, honouring .gitignore files (those of the walked folders, and of their parents up
// to the repository root) and `--exclude` patterns (gitignore syntax, via the `ignore`
// package). Symlinks are followed only to targets inside the walked folder, each real
// file is listed once, and only regular files are listed: a FIFO or a device with a
// source extension is reported, never opened.
import { readdirSync, realpathSync, statSync, existsSync, type Dirent, type Stats } from 'node:fs';
import { dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { isAnalysableExtension } from './core/parser';
import { kindOf, readRegularFile } from './core/files';

export interface WalkOptions {
  /** gitignore-style patterns, matched against paths relative to `cwd` (or to the PATH they were found under, outside it). */
  exclude?: readonly string[];
  cwd?: string;
}

export interface WalkResult {
  files: string[];
  errors: { file: string; message: string }[];
}

const SKIP_DIRS = new Set(['node_modules', '.git']);
/** A .gitignore larger than this is not a .gitignore. */
const MAX_IGNORE_BYTES = 1024 * 1024;

interface IgnoreLevel {
  base: string; // absolute (lexical) folder the patterns are relative to
  ig: Ignore;
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));
const errorText = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

function loadIgnoreFile(file: string): Ignore | null {
  if (!existsSync(file)) return null;
  const r = readRegularFile(file, MAX_IGNORE_BYTES);
  return r.ok ? ignore().add(r.text) : null;
}

/** The ignore files above a walked folder: from the repository root (the nearest parent holding `.git`) down to its parent. */
function ancestorLevels(dirAbs: string): IgnoreLevel[] {
  const chain: string[] = [];
  for (let d = dirname(dirAbs); ; d = dirname(d)) {
    chain.unshift(d);
    if (existsSync(join(d, '.git'))) {
      const levels: IgnoreLevel[] = [];
      const info = loadIgnoreFile(join(d, '.git', 'info', 'exclude'));
      if (info) levels.push({ base: d, ig: info });
      for (const c of chain) {
        const ig = loadIgnoreFile(join(c, '.gitignore'));
        if (ig) levels.push({ base: c, ig });
      }
      return levels;
    }
    if (dirname(d) === d) return []; // not in a repository: only the walked folders' own .gitignore files count
  }
}

/** Is `abs` ignored by the stack of .gitignore files? Deeper files override shallower ones, as in git. */
function gitIgnored(levels: readonly IgnoreLevel[], abs: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, ig } of levels) {
    const rel = relative(base, abs);
    if (!below(rel)) continue;
    let r;
    try {
      r = ig.test(toPosix(rel) + (isDir ? '/' : ''));
    } catch {
      continue; // a name `ignore` refuses (`...`) is matched by no pattern
    }
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

export function collectFiles(paths: readonly string[], opts: WalkOptions = {}): WalkResult {
  const cwd = resolve(opts.cwd ?? '.');
  const excludes = ignore().add([...(opts.exclude ?? [])]);
  const out: WalkResult = { files: [], errors: [] };
  /** Real path -> index in out.files, and whether that entry was reached through a link. */
  const seenFiles = new Map<string, { at: number; viaLink: boolean }>();
  const seenDirs = new Set<string>();

  const excluded = (abs: string, under: string, isDir: boolean): boolean => {
    if (!opts.exclude?.length) return false;
    let rel = relative(cwd, abs);
    if (!below(rel)) rel = relative(under, abs);
    if (!below(rel)) return false;
    try {
      return excludes.ignores(toPosix(rel) + (isDir ? '/' : ''));
    } catch {
      return false;
    }
  };
  // each real file once, under its own name rather than a link's when both are walked
  const addFile = (p: string, real: string, viaLink: boolean) => {
    const seen = seenFiles.get(real);
    if (!seen) {
      seenFiles.set(real, { at: out.files.length, viaLink });
      out.files.push(p);
    } else if (seen.viaLink && !viaLink) {
      out.files[seen.at] = p;
      seen.viaLink = false;
    }
  };

  const walkDir = (dir: string, real: string, rootReal: string, rootAbs: string, levels: IgnoreLevel[]) => {
    if (seenDirs.has(real)) return; // a link back into a folder already walked (`x -> .`)
    seenDirs.add(real);
    const own = loadIgnoreFile(join(dir, '.gitignore'));
    const here = own ? [...levels, { base: resolve(dir), ig: own }] : levels;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      out.errors.push({ file: dir, message: `cannot list directory: ${errorText(e)}` });
      return;
    }
    for (const entry of entries) {
      const name = entry.name;
      if (SKIP_DIRS.has(name)) continue;
      const child = join(dir, name);
      const abs = resolve(child);
      let childReal = join(real, name);
      let kind: Dirent | Stats = entry;
      if (entry.isSymbolicLink()) {
        try {
          childReal = realpathSync(child);
          // a link may point anywhere: only targets inside the walked folder are followed
          if (!isWithin(rootReal, childReal)) continue;
          kind = statSync(childReal);
        } catch {
          continue; // a dangling link
        }
      }
      const isDir = kind.isDirectory();
      if (!isDir && !isAnalysableExtension(name)) continue;
      if (gitIgnored(here, abs, isDir) || excluded(abs, rootAbs, isDir)) continue;
      if (isDir) walkDir(child, childReal, rootReal, rootAbs, here);
      else if (kind.isFile()) addFile(child, childReal, entry.isSymbolicLink());
      else out.errors.push({ file: child, message: `not analysed: not a regular file (${kindOf(kind)})` });
    }
  };

  for (const p of paths) {
    const abs = resolve(p);
    let st: Stats;
    let real: string;
    try {
      real = realpathSync(p);
      st = statSync(real);
    } catch (e) {
      out.errors.push({ file: p, message: `cannot read: ${errorText(e)}` });
      continue;
    }
    if (st.isDirectory()) {
      if (excluded(abs, dirname(abs), true)) continue;
      // a folder named on the command line is walked even if a parent's .gitignore ignores it (as ripgrep does)
      const above = ancestorLevels(abs);
      walkDir(p, real, real, abs, gitIgnored(above, abs, true) ? [] : above);
    } else if (excluded(abs, dirname(abs), false)) continue;
    else if (!isAnalysableExtension(p)) out.errors.push({ file: p, message: 'not a CUDA, C/C++ or Python file (expected .cu .cuh .cpp .cc .cxx .c .h .hpp .hh .py)' });
    else if (!st.isFile()) out.errors.push({ file: p, message: `not analysed: not a regular file (${kindOf(st)})` });
    else addFile(p, real, false);
  }
  return out;
}

/** Is a `relative()` result a path strictly below its base (not the base, not `../x`, not another drive)? */
const below = (rel: string): boolean => rel !== '' && rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel);

function isWithin(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || below(rel);
}
