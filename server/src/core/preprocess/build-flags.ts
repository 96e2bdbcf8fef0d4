// What the project's build says about floating-point math. `-Ofast` / `-ffast-math` let the
// compiler reassociate float sums and call vector math without errno, which decides whether
// a CPU loop vectorizes; rules that would otherwise assume default flags read this. Read from
// the build files beside the source and in the folders above it, up to the workspace root:
// compile_commands.json, Makefile, CMakeLists.txt, and a PyTorch extension's setup.py
// (`extra_compile_args={"cxx": ["-ffast-math"]}`). Read through the header reader, so only
// what the workspace allows, and nothing is run.
import * as path from 'node:path';
import type { ViewOptions } from './view';
import { lineScan } from '../line-scans';

export interface BuildFlags {
  /** -Ofast, -ffast-math or -fassociative-math: float sums may be reordered, so they vectorize. */
  fastMath: boolean;
  /** -Ofast, -ffast-math or -fno-math-errno: math calls set no errno, so a vector math library can take them. */
  noMathErrno: boolean;
  /** -ffinite-math-only with -fno-signed-zeros, named on their own (-ffast-math sets `fastMath`): a float max may be taken in lanes. */
  finiteMath?: boolean;
  /** A build file names the optimization level (`-O3`): what it says of fast math stands, whatever the source's pragmas imply. */
  statedByBuild?: boolean;
}

export const DEFAULT_BUILD: BuildFlags = Object.freeze({ fastMath: false, noMathErrno: false });

const CXX_LIST = /["']cxx["']\s*:\s*\[[^\]]*\]/g;
const NVCC_LIST = /["']nvcc["']\s*:\s*\[[^\]]*\]/g;
const BUILD_FILES = ['compile_commands.json', 'build/compile_commands.json', 'Makefile', 'makefile', 'GNUmakefile', 'CMakeLists.txt', 'setup.py'];
const FAST_MATH = /(?:^|[\s"'=(,])-(?:Ofast|ffast-math|fassociative-math)\b/m;
const FINITE_ONLY = /(?:^|[\s"'=(,])-ffinite-math-only\b/m;
const NO_SIGNED_ZEROS = /(?:^|[\s"'=(,])-fno-signed-zeros\b/m;
const OPTIMIZATION_LEVEL = /(?:^|[\s"'=(,])-O(?:[0-3sgz]|fast)?\b/m;
const NO_MATH_ERRNO = /(?:^|[\s"'=(,])-(?:Ofast|ffast-math|fno-math-errno)\b/m;
/**
 * The part of a build file that sets flags for the default build: comments left out (a
 * Makefile that explains `-Ofast` in a comment does not use it), and in a Makefile the
 * recipes of targets other than the default goal (`make runfast` is something a user asks for).
 */
export function flagsSaid(fileName: string, text: string, cuda = false, source = ''): string {
  if (fileName === 'compile_commands.json') return text;
  const lines = text.split('\n').map((l) => l.replace(/(^|[^\\])#.*$/, '$1'));
  if (fileName === 'CMakeLists.txt') return lines.join('\n');
  // a PyTorch extension's flags by compiler: `"cxx": [...]` builds its C++ files, `"nvcc": [...]` its CUDA files
  // (host code through -Xcompiler); the other compiler's list says nothing of this file
  if (fileName === 'setup.py') return lines.join('\n').replace(cuda ? CXX_LIST : NVCC_LIST, '');
  const kept: string[] = [];
  const recipes = new Map<string, string[]>(); // each target's recipe lines
  const prerequisites = new Map<string, string[]>();
  const variables = new Map<string, string>();
  let goal: string | null = null; // the first ordinary target: what a plain `make` builds
  let current: string[] | null = null; // the recipe being read
  let inRecipe = false; // a tab-indented line belongs to the rule above it, or (after a variable or `ifeq`) is a setting
  for (const line of lines) {
    if (line.startsWith('\t')) {
      if (inRecipe && current) current.push(line);
      else if (!inRecipe && /^\t\s*[\w.]+\s*(?:[:+?]?=)/.test(line)) kept.push(line);
      continue;
    }
    if (line.trim() !== '') inRecipe = false;
    const rule = /^([^\s:=][^:=]*?)\s*::?(?!=)/.exec(line);
    if (rule) {
      const targets = rule[1].trim().split(/\s+/);
      if (goal === null && !targets[0].startsWith('.') && !targets[0].includes('%')) goal = targets[0];
      const rest = line.slice(rule[0].length);
      const targetVariable = /^\s*[\w.]+\s*(?:[:+?]?=)/.test(rest);
      if (targetVariable) kept.push(line); // `app: CFLAGS += -Ofast` reaches the goal's prerequisites too
      else {
        current = [];
        for (const t of targets) {
          recipes.set(t, current);
          prerequisites.set(t, [...(prerequisites.get(t) ?? []), ...rest.split(/[\s;]+/).filter(Boolean)]);
        }
      }
      inRecipe = !targetVariable;
      continue;
    }
    const variable = /^\s*([\w.]+)\s*(?:[:+?]?=)(.*)$/.exec(line);
    if (variable) variables.set(variable[1], `${variables.get(variable[1]) ?? ''} ${variable[2]}`);
    kept.push(line); // variables and includes apply to every target
  }
  // the goal's recipe and those of the targets it needs (`all: $(TARGETS) train_gpt2`, then `train_gpt2: train_gpt2.c`)
  const built = new Set<string>();
  const need = (t: string, depth = 0): void => {
    if (built.has(t) || depth > 8) return;
    built.add(t);
    for (const p of prerequisites.get(t) ?? []) {
      const ref = /^\$[({]([\w.]+)[)}]$/.exec(p);
      for (const name of ref ? (variables.get(ref[1]) ?? '').split(/\s+/).filter(Boolean) : [p]) need(name, depth + 1);
    }
  };
  if (goal !== null) need(goal);
  // (a recipe that names its sources builds those: `fast: fast.c` with -Ofast says nothing of `naive.c` beside it)
  const SOURCE = /\.(?:c|cc|cpp|cxx|cu)$/;
  const builds = (t: string) => {
    const sources = (prerequisites.get(t) ?? []).filter((p) => SOURCE.test(p));
    return sources.length === 0 || !source || sources.some((p) => path.basename(p) === source);
  };
  for (const t of built) if (builds(t)) kept.push(...(recipes.get(t) ?? []));
  return kept.join('\n');
}

/** Folders looked at above the source's own. */
const MAX_LEVELS = 12;
/** How long a file's answer is kept before its build files are read again (an edited Makefile counts soon). */
const RECHECK_MS = 2000;

/**
 * Fast math asked for in the source: `#pragma GCC optimize("-ffast-math")` (or through a macro:
 * `_Pragma("GCC optimize(\"-ffast-math\")")`), `float_control(precise, off)`, `clang fp reassociate(on)`,
 * `__attribute__((optimize("fast-math")))`. The file's own sums may then be reordered.
 */
const SOURCE_FAST_MATH = /\boptimize\s*\(\s*\\?"-?(?:Ofast|ffast-math|fast-math|fassociative-math)|float_control\s*\(\s*precise\s*,\s*off|\bfp\s+reassociate\s*\(\s*on/;
/**
 * A region taken out of fast math (`#pragma float_control(precise, on, push)` ... `pop`, or a function's
 * `__attribute__((optimize("no-finite-math-only")))`, llm.c's train_gpt2.c around its GELU backward, "we want to use -Ofast
 * optimization, but sadly GeLU breaks"): said only of a file the build compiles with fast math.
 */
const SOURCE_FAST_MATH_EXCEPT = /float_control\s*\(\s*precise\s*,\s*on\s*,\s*push|\boptimize\s*\(\s*\\?"-?f?no-(?:finite-math-only|fast-math)/;

/** Whether a function body (`) {`) is left once the `float_control(precise, on, push)` ... `pop` regions are cut out. */
function codeOutsidePreciseRegions(code: string): boolean {
  const outside = code.replace(/float_control\s*\(\s*precise\s*,\s*on\s*,\s*push[\s\S]*?(?:float_control\s*\(\s*pop\s*\)|$)/g, ' ');
  return /\)\s*(?:const\s*)?\{/.test(outside);
}

/**
 * The file's own build line in a comment, `gcc -Ofast -fopenmp matmul_forward.c -o matmul_forward` (llm.c's dev/cpu
 * files): how its author compiles it, where no build file says. A line that starts with the compiler and names a source.
 */
const COMMENTED_BUILD = /^\s*(?:\/\/|\/\*|\*)?\s*(?:\$\s*)?(?:([A-Za-z' ]+):\s*)?((?:gcc|g\+\+|clang\+\+|clang|cc|icc|icpx|icx)\s[^\n]*)$/gm;
/** A label that says not to build so (`Do not build with:`, `never:`). */
const NEGATED = /\b(?:not|never|don't|avoid)\b/i;

/** Whether a commented compile command builds `file` (by its name; any source where the name is not known) with fast math. */
function commentedFastBuild(text: string, file?: string): boolean {
  for (const m of text.matchAll(COMMENTED_BUILD)) {
    if (m[1] && NEGATED.test(m[1])) continue;
    // (the command ends where prose starts: a parenthesis after a space that opens words, a semicolon, a comment's end,
    // or a wide gap before text; `$(pkg-config ...)` and doubled spaces between flags are part of it)
    const command = m[2].split(/\s\((?=[A-Za-z][a-z]+\s)|;|\*\/|\s{3,}(?=\(|[A-Za-z]+\s)/)[0];
    const sources = command.match(/[\w./-]+\.(?:c|cc|cpp|cxx)\b/g) ?? [];
    // (a header's comment builds the source that includes it)
    const header = !!file && /\.(?:h|hh|hpp|hxx|cuh)$/.test(file);
    if (!sources.length || (file && !header && !sources.some((x) => x.split('/').pop() === file))) continue;
    if (/(?:^|\s)-(?:Ofast|ffast-math)\b/.test(command)) return true;
  }
  return false;
}

/** A line naming none of the words SOURCE_FAST_MATH and COMMENTED_BUILD start at. */
const asksNothing = (line: string): boolean =>
  !line.includes('optimize') && !line.includes('float_control') && !line.includes('reassociate') && !line.includes('Ofast') && !line.includes('fast-math');
/** (kept across edits of lines that name none of them) */
const mayAskIn = lineScan(asksNothing, (lines) => !lines.every(asksNothing));

/** The build's flags, with fast math where the file's source asks for it; `lines`, the text's, when the caller has them; `file`, its name. */
export function withSourcePragmas(flags: BuildFlags, text: string, lines?: readonly string[], file?: string): BuildFlags {
  // (runs on every edit: a plain search for the words first, the regex over the file only where one is)
  const mayAsk = lines ? mayAskIn(lines) : !asksNothing(text);
  if (flags.fastMath || !mayAsk) return flags;
  if (!flags.statedByBuild && commentedFastBuild(text, file)) return { fastMath: true, noMathErrno: true };
  if (!SOURCE_FAST_MATH.test(text) && !SOURCE_FAST_MATH_EXCEPT.test(text)) return flags;
  // (a pragma quoted in a comment, `// compile with #pragma GCC optimize("Ofast")`, asks nothing)
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' ');
  // (the rest of a file that takes one region out of fast math is built with it, -Ofast or -ffast-math: errno goes too;
  // unless a build file says how it is built, or the region is the whole file)
  if (!flags.statedByBuild && SOURCE_FAST_MATH_EXCEPT.test(code) && codeOutsidePreciseRegions(code)) return { fastMath: true, noMathErrno: true };
  if (!SOURCE_FAST_MATH.test(code)) return flags;
  // only -ffast-math / -Ofast themselves also drop errno from math calls
  return { fastMath: true, noMathErrno: flags.noMathErrno || /\boptimize\s*\(\s*\\?"-?(?:Ofast|ffast-math|fast-math)/.test(code) };
}

const cached = new WeakMap<ViewOptions, Map<string, { flags: BuildFlags; at: number }>>();

/** The flags that apply to the file at `file` (relative: to the current folder, as the CLI names files), or the defaults when no build file says otherwise. */
export function buildFlagsFor(file: string, options: ViewOptions): BuildFlags {
  if (typeof file !== 'string' || file === '' || file.includes('\0') || options.roots.length === 0) return DEFAULT_BUILD;
  let byDir = cached.get(options);
  if (!byDir) cached.set(options, (byDir = new Map()));
  const dir = path.dirname(path.resolve(file));
  const cuda = /\.(?:cu|cuh)$/.test(file);
  const key = path.resolve(file);
  const now = Date.now();
  const hit = byDir.get(key);
  if (hit && now - hit.at < RECHECK_MS) return hit.flags;
  const roots = options.roots.map((r) => path.resolve(r));
  let fastMath = false;
  let noMathErrno = false;
  let finiteOnly = false;
  let noSignedZeros = false;
  let stated = false;
  for (let d = dir, level = 0; level <= MAX_LEVELS; level++) {
    for (const name of BUILD_FILES) {
      const text = options.reader.read(path.join(d, name));
      if (text === null) continue;
      const said = flagsSaid(name, text, cuda, path.basename(file));
      fastMath ||= FAST_MATH.test(said);
      noMathErrno ||= NO_MATH_ERRNO.test(said);
      finiteOnly ||= FINITE_ONLY.test(said);
      noSignedZeros ||= NO_SIGNED_ZEROS.test(said);
      stated ||= OPTIMIZATION_LEVEL.test(said);
    }
    const up = path.dirname(d);
    if (roots.includes(d) || up === d) break;
    d = up;
  }
  const finiteMath = finiteOnly && noSignedZeros;
  const flags = fastMath || noMathErrno || finiteMath || stated ? { fastMath, noMathErrno, ...(finiteMath ? { finiteMath } : {}), ...(stated ? { statedByBuild: true } : {}) } : DEFAULT_BUILD;
  if (byDir.size > 1000) byDir.clear();
  byDir.set(key, { flags, at: now });
  return flags;
}
