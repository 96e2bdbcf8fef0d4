// The preprocessor view of one file: macros, type aliases and integer constants from
// the file and its local headers, with undecided `#if` branches kept as alternatives.
import * as path from 'node:path';
import type { MacroDef } from './macros';
import type { ElementAccessor } from './accessors';
import { scanCached, scanText, digest, type Event } from './scan';
import { evalIntExpr, type Resolver } from './expr';
import { cmakeIncludeDirs, isWithin, type HeaderReader } from './files';
import { BudgetExceeded, tick } from '../budget';

export { fsHeaderReader, compileCommandsIncludeDirs, cmakeIncludeDirs, type HeaderReader } from './files';

export interface ViewOptions {
  /** Directories searched after the includer's own directory: configured includePaths and `-I` of compile_commands.json (absolute). */
  includeDirs: readonly string[];
  /** Files may be read only under these directories (the workspace folders and includeDirs). */
  roots: readonly string[];
  reader: HeaderReader;
  maxDepth?: number; // default 8
  maxHeaders?: number; // default 64
}
export interface PreprocessorView {
  macros: Map<string, MacroDef>;
  alternatives: Map<string, MacroDef[]>;
  typeAliases: Map<string, string[]>;
  /**
   * For an alias with alternatives, the type a build that passes no `-D` flags gives it, where that build decides
   * it (PolyBench's `DATA_TYPE`: `double`, from `#if !defined(DATA_TYPE_IS_INT) && ...` / `#define DATA_TYPE_IS_DOUBLE`).
   */
  defaultTypes: Map<string, string>;
  constants: Map<string, number>;
  /** Sizes a build that passes no `-D` flags picks by a dataset switch the file sets for it (PolyBench's `NP` = 160 under `LARGE_DATASET`). */
  defaultConstants: Map<string, number>;
  /**
   * A function-like macro an undecided `#ifdef` defines as one argument or another (PolyBench's `POLYBENCH_C99_SELECT(x, y)`:
   * `y`, the run-time extent, under `-DPOLYBENCH_USE_C99_PROTO`; `x`, the fixed one, otherwise): the definition a build
   * that passes no `-D` flags takes.
   */
  defaultSelectors: Map<string, MacroDef>;
  /** Element accessors of matrix classes by method name (`m.at(i, j)` as `data_[i * cols_ + j]`): see accessors.ts. */
  accessors: Map<string, ElementAccessor>;
  /** Structs handing out the block's dynamic shared memory (`SharedMemory<T>`), with the `extern __shared__` array each returns: see shared-structs.ts. */
  sharedStructs: Map<string, string>;
  /** The data members of the headers' classes (`weights` of `class Layer`), by class, their types as written: see class-members.ts. */
  classMembers: Map<string, Map<string, string>>;
  /** A header the file includes sets up a cuBLAS handle's math mode (scan.ts, setsTensorMathMode): its GEMMs' math is decided there. */
  tensorMathMode: boolean;
  headers: string[];
  /**
   * The file's own `#include "..."` lines, in code every build compiles, that no folder searched holds (not the SDK's
   * or the C library's): what they define is unknown, so the file's facts may be partial.
   */
  missing: string[];
  key: string;
  /** Its time budget ran out before the view was complete: what was read so far (not to be cached). */
  cut?: boolean;
}

/** The `skipped` reason of a header the file includes that no folder searched holds (its facts may be partial). */
export const missingHeader = (target: string): string =>
  `#include "${target}" was not found beside the file, in its folders' include/ or common/ folders, in the setting includePaths or in compile_commands.json: its types, macros and constants are unknown, so findings may be missing`;

/** The header a `missingHeader` reason names, or null for another reason. */
export const missingHeaderTarget = (reason: string): string | null => /^#include "([^"]+)" was not found/.exec(reason)?.[1] ?? null;

/** The line of a file's `#include "target"` (0-based; 0 when not found). */
export function includeLine(lines: readonly string[], target: string): number {
  const at = lines.findIndex((l) => /^\s*#\s*include\b/.test(l) && l.includes(`"${target}"`));
  return Math.max(at, 0);
}

/** Activity of a region: 1 taken, 0 skipped, 0.5 undecided (Kleene logic: and = min, or = max, not = 1 - x). */
type Tri = number;
const toTri = (v: number | null): Tri => (v === null ? 0.5 : v ? 1 : 0);

interface MState { defs: MacroDef[]; sure: boolean; undef: boolean }
/** A region's activity, and (`d...`) its activity in a build that passes no `-D` flags: a name nothing defines is undefined there. */
interface Frame { parent: Tri; taken: Tri; active: Tri; dParent: Tri; dTaken: Tri; dActive: Tri; switched?: boolean }

/**
 * Headers of the CUDA toolkit, its libraries and the C library, by name, quoted or not (`"cuda.h"`, `"cuComplex.h"`,
 * `"nvtx3/nvToolsExt.h"`, `"device_launch_parameters.h"`): not the project's, so not said missing. Names, not prefixes:
 * a project's `math_utils.cuh` or `cuda_utils.h` is its own.
 */
const SDK_HEADER = new RegExp('^(?:' + [
  // the CUDA toolkit's own headers, as named
  'cuda', 'cuda_runtime', 'cuda_runtime_api', 'cuda_fp16', 'cuda_bf16', 'cuda_fp8', 'cuda_fp4', 'cuda_pipeline', 'cuda_awbarrier\\w*', 'cuda_texture_types',
  'cuda_surface_types', 'cuda_profiler_api', 'cuda_gl_interop', 'cuda_occupancy', 'cudaProfiler', 'cuComplex', 'cublas\\w*', 'cufft\\w*', 'curand\\w*',
  'cusparse\\w*', 'cusolver\\w*', 'cudnn\\w*', 'cutensor\\w*', 'nccl', 'nvrtc', 'nvml', 'nvToolsExt\\w*', 'nvtx3/.*', 'nvjpeg', 'nvcomp\\w*', 'npp\\w*',
  'mma', 'crt/.*', 'sm_\\d+_\\w+', 'device_launch_parameters', 'device_functions', 'device_types', 'device_atomic_functions', 'device_double_functions',
  'vector_types', 'vector_functions', 'math_constants', 'math_functions', 'host_defines', 'host_config', 'driver_types', 'driver_functions',
  'texture_types', 'texture_fetch_functions', 'texture_indirect_functions', 'surface_types', 'surface_functions', 'builtin_types',
  'channel_descriptor', 'common_functions', 'library_types', 'cooperative_groups(?:/.*)?', 'thrust/.*', 'cub/.*', 'cuda/.*', 'cute/.*',
  'cutlass/.*', 'torch/.*', 'ATen/.*', 'c10/.*', 'pybind11/.*', 'omp', 'mpi',
  // the C library's and the CPU intrinsics'
  'std\\w*', 'assert', 'ctype', 'errno', 'float', 'limits', 'locale', 'math', 'setjmp', 'signal', 'stdarg', 'stddef', 'stdint', 'stdio',
  'stdlib', 'string', 'strings', 'time', 'unistd', 'inttypes', 'stdbool', 'malloc', 'memory', 'fcntl', 'dirent', 'immintrin', 'xmmintrin',
  'emmintrin', 'pmmintrin', 'smmintrin', 'nmmintrin', 'arm_neon', 'pthread', 'sys/.*',
].join('|') + ')(?:\\.h|\\.hpp|\\.cuh)?$');

/** Where projects without build configuration keep their headers, beside the folders of their sources. */
const INCLUDE_FOLDERS = ['include', 'includes', 'inc', 'utilities', 'common', 'Common'];

const sameDef = (a: MacroDef, b: MacroDef): boolean =>
  a.body === b.body && a.variadic === b.variadic && (a.params === null ? b.params === null : b.params !== null && a.params.join(',') === b.params.join(','));

const BUILTIN_TYPES = new Set(['void', 'bool', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', 'wchar_t',
  'half', 'half2', '__half', '__half2', '__nv_bfloat16', '__nv_bfloat162', 'nv_bfloat16', 'nv_bfloat162', 'bfloat16', 'bf16',
  'size_t', 'ssize_t', 'ptrdiff_t', 'int8_t', 'int16_t', 'int32_t', 'int64_t', 'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'uint',
  '__nv_fp8_e4m3', '__nv_fp8_e5m2', 'at::Half', 'at::BFloat16', 'c10::Half', 'c10::BFloat16', 'cutlass::half_t', 'cutlass::bfloat16_t',
  'std::size_t', 'std::int32_t', 'std::int64_t', 'std::uint32_t', 'std::uint64_t', 'std::int8_t', 'std::uint8_t', 'std::int16_t', 'std::uint16_t',
  'long long', 'long double', 'unsigned int', 'unsigned long', 'unsigned char', 'unsigned short', 'unsigned long long']);

function isTypeName(s: string, aliases: Map<string, string[]>): boolean {
  const t = s.replace(/\b(?:const|volatile)\b/g, ' ').replace(/\s+/g, ' ').replace(/\s*\*+\s*$/, '').trim();
  if (!t) return false;
  if (BUILTIN_TYPES.has(t) || aliases.has(t)) return true;
  if (/^(?:u?char|u?short|u?int|u?long|u?longlong|float|double|half|bfloat16)[1-4]$/.test(t)) return true;
  return /^(?:(?:unsigned|signed|long|short) )+(?:int|long|short|char|double)$/.test(t);
}

/** Candidate paths of includes, by the view options they were made for (a plain function of the paths: nothing goes stale). */
const candidateMemo = new WeakMap<object, Map<string, string[]>>();

/** Where `#include <target>` / `"target"` from a file in `dir` may be found, in the order they are tried (memoized per options). */
function includeCandidates(options: ViewOptions | undefined, roots: readonly string[], includeDirs: readonly string[], dir: string, target: string, angled: boolean): string[] {
  const key = `${angled ? '<' : '"'}${dir}\u0000${target}`;
  let memo = options ? candidateMemo.get(options) : undefined;
  if (options && !memo) candidateMemo.set(options, (memo = new Map()));
  const known = memo?.get(key);
  if (known) return known;
  const cands = findCandidates(roots, includeDirs, dir, target, angled, options?.reader);
  if (memo && memo.size > 20000) memo.clear();
  memo?.set(key, cands);
  return cands;
}

function findCandidates(roots: readonly string[], includeDirs: readonly string[], dir: string, target: string, angled: boolean, reader?: HeaderReader): string[] {
  const cands: string[] = [];
  if (path.isAbsolute(target)) cands.push(path.resolve(target));
  else {
    if (!angled && dir) cands.push(path.resolve(dir, target));
    for (const d of includeDirs) cands.push(path.resolve(d, target));
    if (!angled && !dir) for (const r of roots) cands.push(path.resolve(r, target));
    if (!SDK_HEADER.test(target) && /\.[A-Za-z]+$/.test(target)) {
      // fallback for projects without build configuration: the includer's dir and its ancestors up to a
      // root, and their include/ folders (`#include "caffe/util/math_functions.hpp"` from src/caffe/util; `kernels.h`
      // from csrc/kernels/cuda/ in csrc/kernels/includes/)
      const starts = dir ? [dir] : roots;
      for (const s of starts) {
        const top = roots.filter(r => isWithin([r], s)).sort((a, b) => a.length - b.length)[0];
        if (!top) continue;
        for (let a = s, n = 0; n < 32; n++) {
          cands.push(path.join(a, target), ...INCLUDE_FOLDERS.map((f) => path.join(a, f, target)));
          // (and the folders a CMakeLists.txt there names, a project of its own inside the workspace:
          // `include_directories(${PROJECT_SOURCE_DIR}/src/common)` in cuda_hgemm/ for `#include "ptx.h"` in src/mma/)
          if (reader) for (const d of cmakeDirsOf(a, reader)) cands.push(path.join(d, target));
          if (a === top) break;
          const up = path.dirname(a);
          if (up === a) break;
          a = up;
        }
        // a folder opened by itself that its own files include by its name (`#include "tiny_dnn/util/util.h"` in the
        // folder tiny_dnn): the name's parent is where the paths start, and what they name is still inside the folder
        if (target.split('/')[0] === path.basename(top)) cands.push(path.join(path.dirname(top), target));
      }
    }
  }
  return cands;
}

/** The include directories of `dir`/CMakeLists.txt, read once per reader (the view options of a workspace). */
function cmakeDirsOf(dir: string, reader: HeaderReader): string[] {
  let byDir = cmakeMemo.get(reader);
  if (!byDir) cmakeMemo.set(reader, (byDir = new Map()));
  let dirs = byDir.get(dir);
  if (!dirs) byDir.set(dir, (dirs = cmakeIncludeDirs(dir, reader)));
  return dirs;
}
const cmakeMemo = new WeakMap<HeaderReader, Map<string, string[]>>();

export function buildView(file: string, text: string, options: ViewOptions): PreprocessorView {
  const macros = new Map<string, MState>();
  const typedefs = new Map<string, string[]>();
  // the build without -D flags: which names it defines (1, 0, or 0.5 where an undecided value decides), and the
  // definitions of macros and typedefs it surely makes
  const dDefined = new Map<string, Tri>();
  const dMacros = new Map<string, MacroDef>();
  const dTypedefs = new Map<string, string>();
  // names the file defines only for a build that names none of its options (`#if !defined(MINI_DATASET) && ...` then
  // `#define LARGE_DATASET`: PolyBench's default dataset), and the macros defined under a test of one of them
  const defaultSwitches = new Set<string>();
  const dSwitched = new Set<string>();
  const consts = new Map<string, number>(); // NaN = conflicting values
  const accessors = new Map<string, ElementAccessor | null>(); // null = two shapes under one name
  const sharedStructs = new Map<string, string>();
  const classMembers = new Map<string, Map<string, string>>();
  const headers: string[] = [];
  const missing: string[] = [];
  let mathMode = false;
  const roots = (options?.roots ?? []).filter(r => typeof r === 'string' && path.isAbsolute(r)).map(r => path.resolve(r));
  const includeDirs = (options?.includeDirs ?? []).filter(r => typeof r === 'string' && path.isAbsolute(r)).map(r => path.resolve(r));
  const reader = options?.reader;
  const maxDepth = options?.maxDepth ?? 8;
  const maxHeaders = options?.maxHeaders ?? 64;
  let attempts = 0;
  const visited = new Set<string>();
  const mainPath = typeof file === 'string' && path.isAbsolute(file) ? path.resolve(file) : '';
  if (mainPath) visited.add(mainPath);

  let evalBudget = 50000;
  const memo = new Map<string, number | null>(); // cleared whenever a definition changes
  const macroValue = (name: string, depth: number, inIf: boolean): number | null => {
    const key = (inIf ? 'i' : 'c') + name;
    if (memo.has(key)) return memo.get(key)!;
    if (--evalBudget < 0) return null;
    tick();
    memo.set(key, null); // a cycle evaluates to unknown
    let v: number | null = null;
    const st = macros.get(name);
    if (st) {
      if (st.undef && inIf) v = 0;
      else if (st.sure && st.defs.length === 1 && st.defs[0].params === null) v = evalIntExpr(st.defs[0].body, resolver(inIf), depth);
    } else {
      const c = consts.get(name);
      v = !inIf && c !== undefined && !Number.isNaN(c) ? c : null;
    }
    memo.set(key, v);
    return v;
  };
  const resolver = (inIf: boolean): Resolver => ({
    value: (n, d) => macroValue(n, d, inIf),
    defined: n => { const st = macros.get(n); return st ? (st.sure ? 1 : st.undef ? 0 : null) : null; },
  });
  // (a name nothing defines is undefined there: a flag only `-D` sets; not the compiler's own reserved names,
  // `__GNUC__`, `__CUDACC__`, `_OPENMP`, which it predefines: those stay undecided. A value compared in an #if,
  // `CUDA_VERSION >= 11000`, stays undecided too: such versions come from headers outside the view)
  const unseen = (n: string): boolean => !macros.has(n) && !/^_[_A-Z]/.test(n);
  const dResolver: Resolver = {
    value: (n, d) => macroValue(n, d, true),
    defined: n => { const t = dDefined.get(n) ?? (unseen(n) ? 0 : 0.5); return t === 0.5 ? null : t; },
  };

  const tryRead = (p: string): string | null => {
    if (attempts++ > 2000 || visited.has(p) || !isWithin(roots, p)) return null;
    for (let i = 0; i < 16; i++) tick(); // a file system look-up costs more than a token
    try { const t = reader?.read(p); return typeof t === 'string' ? t : null; } catch { return null; }
  };
  // (`'seen'`: found, and read already through another include)
  const resolveInclude = (ev: { target: string; angled: boolean }, from: string): { p: string; text: string } | 'seen' | null => {
    const target = ev.target;
    if (!target || target.includes('\0')) return null;
    const dir = from ? path.dirname(from) : '';
    for (const c of includeCandidates(options, roots, includeDirs, dir, target, ev.angled)) {
      if (visited.has(c)) return 'seen';
      const t = tryRead(c);
      if (t !== null) return { p: c, text: t };
    }
    return null;
  };

  const define = (def: MacroDef, a: Tri): void => {
    memo.clear();
    const st = macros.get(def.name);
    if (a === 1 || !st || st.undef) { macros.set(def.name, { defs: [def], sure: a === 1, undef: false }); return; }
    if (!st.defs.some(d => sameDef(d, def))) st.defs.push(def);
  };
  const addConst = (name: string, v: number | null): void => {
    if (v === null) return;
    memo.clear();
    const old = consts.get(name);
    consts.set(name, old === undefined || old === v ? v : NaN);
  };

  const process = (events: Event[], base: Tri, dBase: Tri, from: string, depth: number): void => {
    const stack: Frame[] = [];
    const cur = (): Tri => (stack.length ? stack[stack.length - 1].active : base);
    const dCur = (): Tri => (stack.length ? stack[stack.length - 1].dActive : dBase);
    for (const ev of events) {
      tick();
      switch (ev.k) {
        case 'if': case 'ifdef': {
          let c: Tri;
          let dc: Tri;
          if (ev.k === 'if') {
            c = toTri(ev.expr ? evalIntExpr(ev.expr, resolver(true)) : null);
            dc = c === 0.5 ? toTri(ev.expr ? evalIntExpr(ev.expr, dResolver) : null) : c;
          } else if (ev.guard && !macros.has(ev.name)) c = dc = 1;
          else {
            const d = resolver(true).defined!(ev.name);
            c = toTri(d === null ? null : ev.neg ? 1 - d : d);
            const dd = d === null ? dResolver.defined!(ev.name) : d;
            dc = toTri(dd === null ? null : ev.neg ? 1 - dd : dd);
          }
          const parent = cur();
          const dParent = dCur();
          // (decided for the default build by a name the file defines for it alone: `#ifdef LARGE_DATASET`)
          const tests = ev.k === 'if' ? (ev.expr ?? '').match(/[A-Za-z_]\w*/g) ?? [] : [ev.name];
          const switched = !!stack.at(-1)?.switched || (c === 0.5 && dc === 1 && tests.some((n) => defaultSwitches.has(n)));
          stack.push({ parent, taken: c, active: Math.min(parent, c), dParent, dTaken: dc, dActive: Math.min(dParent, dc), switched });
          break;
        }
        case 'elif': {
          const f = stack[stack.length - 1];
          if (!f) break;
          if (f.taken === 1) { f.active = f.dActive = 0; break; }
          const c = toTri(evalIntExpr(ev.expr, resolver(true)));
          f.active = Math.min(f.parent, 1 - f.taken, c);
          f.taken = Math.max(f.taken, c);
          const dc = c === 0.5 ? toTri(evalIntExpr(ev.expr, dResolver)) : c;
          // (`#elif defined(LARGE_DATASET)` of a dataset chain: the arm the default build takes by the file's switch)
          f.switched = !!stack.at(-2)?.switched || (c === 0.5 && dc === 1 && (ev.expr.match(/[A-Za-z_]\w*/g) ?? []).some((n) => defaultSwitches.has(n)));
          f.dActive = Math.min(f.dParent, 1 - f.dTaken, dc);
          f.dTaken = Math.max(f.dTaken, dc);
          break;
        }
        case 'else': {
          const f = stack[stack.length - 1];
          if (f) { f.active = Math.min(f.parent, 1 - f.taken); f.taken = 1; f.dActive = Math.min(f.dParent, 1 - f.dTaken); f.dTaken = 1; }
          break;
        }
        case 'endif': stack.pop(); break;
        default: {
          const a = cur();
          if (a === 0) break;
          const da = dCur();
          if (ev.k === 'define') {
            define(ev.def, a);
            if (a === 0.5 && da === 1 && ev.def.params === null) defaultSwitches.add(ev.def.name);
            if (a === 0.5 && da === 1 && stack.at(-1)?.switched) dSwitched.add(ev.def.name);
            dDefined.set(ev.def.name, Math.max(dDefined.get(ev.def.name) ?? 0, da));
            if (da === 1) dMacros.set(ev.def.name, ev.def);
            else if (da === 0.5) dMacros.delete(ev.def.name);
          } else if (ev.k === 'undef') {
            memo.clear();
            if (a === 1) macros.set(ev.name, { defs: [], sure: false, undef: true });
            if (da === 1) { dDefined.set(ev.name, 0); dMacros.delete(ev.name); }
          } else if (ev.k === 'typedef') {
            const list = typedefs.get(ev.name) ?? [];
            if (!list.includes(ev.type)) list.push(ev.type);
            typedefs.set(ev.name, list);
            if (da === 1) dTypedefs.set(ev.name, ev.type);
          } else if (ev.k === 'const') addConst(ev.name, evalIntExpr(ev.expr, resolver(false)));
          // (a header's: the file's own set-up functions are in its facts)
          else if (ev.k === 'tensorMathMode') mathMode ||= depth > 0;
          // (a header's: the file's own are read from its lines, facts/shared-accessors.ts)
          else if (ev.k === 'member') { if (depth > 0) { const m = classMembers.get(ev.owner) ?? classMembers.set(ev.owner, new Map()).get(ev.owner)!; if (!m.has(ev.name)) m.set(ev.name, ev.type); } }
          else if (ev.k === 'sharedStruct') { if (depth > 0 && !sharedStructs.has(ev.name)) sharedStructs.set(ev.name, ev.array); }
          else if (ev.k === 'accessor') {
            const had = accessors.get(ev.name);
            accessors.set(ev.name, had === undefined || (had && had.type === ev.accessor.type && had.columnMajor === ev.accessor.columnMajor) ? ev.accessor : null);
          }
          else if (ev.k === 'include') {
            if (depth >= maxDepth || headers.length >= maxHeaders) break;
            const h = resolveInclude(ev, from);
            if (h === 'seen') break;
            if (!h) {
              if (depth === 0 && a === 1 && !ev.angled && !SDK_HEADER.test(ev.target) && !missing.includes(ev.target)) missing.push(ev.target);
              break;
            }
            visited.add(h.p);
            headers.push(h.p);
            process(scanCached(h.text), a, da, h.p, depth + 1);
          }
        }
      }
    }
  };

  let cut = false;
  try {
    process(scanText(typeof text === 'string' ? text : ''), 1, 1, mainPath, 0);
  } catch (e) {
    // keep what was collected: also when the time budget in force ran out (a BudgetExceeded
    // from tick(): scanning, reading headers, evaluating #if), as when a count limit is hit
    cut = e instanceof BudgetExceeded;
  }
  const view = { ...finish(macros, typedefs, consts, headers, { macros: dMacros, typedefs: dTypedefs, switched: dSwitched }, accessors, sharedStructs, classMembers, mathMode), missing };
  return cut ? { ...view, cut } : view;
}

function finish(states: Map<string, MState>, typedefs: Map<string, string[]>, consts: Map<string, number>, headers: string[], byDefault: { macros: Map<string, MacroDef>; typedefs: Map<string, string>; switched: ReadonlySet<string> }, found: Map<string, ElementAccessor | null>, sharedStructs: Map<string, string>, classMembers: Map<string, Map<string, string>>, tensorMathMode: boolean): Omit<PreprocessorView, 'missing'> {
  const macros = new Map<string, MacroDef>();
  const alternatives = new Map<string, MacroDef[]>();
  // an alternative that is a bare name nothing the view sees defines: `#ifdef WG_A / #define TS WG_A / #else /
  // #define TS 16` with WG_A given only by a build that sets it; the other alternatives are the file's own values
  const undefinedName = (d: MacroDef) => d.params === null && /^[A-Za-z_]\w*$/.test(d.body.trim()) && !states.get(d.body.trim())?.defs.length && !consts.has(d.body.trim());
  const known = (st: MState) => (st.defs.some((d) => !undefinedName(d)) ? st.defs.filter((d) => !undefinedName(d)) : st.defs);
  for (const [name, st] of states) {
    if (!st.defs.length) continue;
    macros.set(name, known(st)[0]);
    if (st.defs.length > 1) alternatives.set(name, st.defs.slice());
  }
  const typeAliases = new Map<string, string[]>();
  const objectBodies = (name: string): string[] | null => {
    const st = states.get(name);
    if (!st || !st.defs.length || st.defs.some(d => d.params !== null)) return null;
    return st.defs.map(d => d.body.replace(/^\((.*)\)$/s, '$1').trim());
  };
  for (const [name, targets] of typedefs) {
    const out: string[] = [];
    for (const t of targets) {
      const bodies = /^[A-Za-z_]\w*$/.test(t) ? objectBodies(t) : null;
      for (const b of bodies && bodies.every(x => isTypeName(x, typedefs)) ? bodies : [t]) if (!out.includes(b)) out.push(b);
    }
    typeAliases.set(name, out);
  }
  for (const [name] of states) {
    const bodies = objectBodies(name);
    if (bodies && !typeAliases.has(name) && bodies.every(b => isTypeName(b, typedefs))) typeAliases.set(name, [...new Set(bodies)]);
  }
  // an alias's type in the build without -D flags: its typedef or object-like macro there, through one more such macro
  const defaultTypes = new Map<string, string>();
  const dBody = (name: string): string | null => {
    const d = byDefault.macros.get(name);
    return d && d.params === null ? d.body.replace(/^\((.*)\)$/s, '$1').trim() : byDefault.typedefs.get(name) ?? null;
  };
  for (const [name, ts] of typeAliases) {
    if (ts.length < 2) continue;
    const first = dBody(name);
    const t = first !== null && /^[A-Za-z_]\w*$/.test(first) && typeAliases.has(first) ? dBody(first) ?? first : first;
    if (t !== null && ts.includes(t)) defaultTypes.set(name, t);
  }
  const constants = new Map<string, number>();
  for (const [n, v] of consts) if (!Number.isNaN(v)) constants.set(n, v);
  const memo = new Map<string, number | null>();
  const res: Resolver = {
    value: (n, d) => {
      if (memo.has(n)) return memo.get(n)!;
      memo.set(n, null); // cycles evaluate to unknown
      const st = states.get(n);
      const v = st ? (st.defs.length === 1 && st.defs[0].params === null ? evalIntExpr(st.defs[0].body, res, d) : null)
        : constants.get(n) ?? null;
      memo.set(n, v);
      return v;
    },
  };
  for (const [name, st] of states) {
    if (!st.defs.length || st.defs.some(d => d.params !== null || !d.body)) continue;
    const vals = known(st).map(d => evalIntExpr(d.body, res));
    if (vals.every(v => v !== null && v === vals[0])) constants.set(name, vals[0]!);
  }
  // a size the build without -D flags picks among numeric alternatives by a switch the file sets for that build itself
  // (PolyBench's `NP`: 160 under the `LARGE_DATASET` its header defines when no dataset is named), as defaultTypes does
  // for types; not an `#else` arm's value (`#ifdef WIDE / VEC 8 / #else / VEC 4`: two values the file gives itself).
  // Kept apart from the constants: the dataset is a choice of the build, which a rule may read as the likely one
  const defaultConstants = new Map<string, number>();
  for (const [name, st] of states) {
    if (constants.has(name) || !byDefault.switched.has(name) || st.defs.length < 2 || st.defs.some(d => d.params !== null || !d.body)) continue;
    const d = byDefault.macros.get(name);
    const v = d && d.params === null && known(st).every(x => evalIntExpr(x.body, res) !== null) ? evalIntExpr(d.body, res) : null;
    if (v !== null) defaultConstants.set(name, v);
  }
  const defaultSelectors = new Map<string, MacroDef>();
  const selects = (d: MacroDef) => d.params !== null && !d.variadic && d.params.includes(d.body.replace(/^\((.*)\)$/s, '$1').trim());
  for (const [name, defs] of alternatives) {
    const d = byDefault.macros.get(name);
    if (d && defs.some((x) => sameDef(x, d)) && defs.every(selects)) defaultSelectors.set(name, d);
  }
  const ser: string[] = [];
  for (const [n, d] of defaultSelectors) ser.push(`S${n}=${d.body}`);
  for (const [n, d] of macros) ser.push(`M${n}(${d.params?.join(',') ?? '-'}${d.variadic ? '...' : ''})=${d.body}`);
  for (const [n, ds] of alternatives) ser.push(`A${n}=${ds.map(d => `(${d.params?.join(',') ?? '-'})${d.body}`).join('\u0001')}`);
  for (const [n, ts] of typeAliases) ser.push(`T${n}=${ts.join('|')}`);
  for (const [n, t] of defaultTypes) ser.push(`D${n}=${t}`);
  for (const [n, v] of constants) ser.push(`C${n}=${v}`);
  for (const [n, v] of defaultConstants) ser.push(`B${n}=${v}`);
  const accessors = new Map<string, ElementAccessor>();
  for (const [n, a] of found) if (a) { accessors.set(n, a); ser.push(`E${n}=${a.type}${a.columnMajor ? ':col' : ''}`); }
  for (const [n, a] of sharedStructs) ser.push(`X${n}=${a}`);
  for (const [c, ms] of classMembers) for (const [n, t] of ms) ser.push(`K${c}.${n}=${t}`);
  for (const h of headers) ser.push(`H${h}`);
  if (tensorMathMode) ser.push('Ptensor-math-mode');
  const joined = ser.join('\n');
  return { macros, alternatives, typeAliases, defaultTypes, constants, defaultConstants, defaultSelectors, accessors, sharedStructs, classMembers, tensorMathMode, headers, key: joined.length + ':' + digest(joined) };
}
