// `#if 0 ... #endif` (and the `#else` of `#if 1`): code the compiler never sees. Only
// conditions that decide themselves count (literals and arithmetic on them, the CUDA
// toolkit's version macros, and the file's own switches: file-switches.ts); a condition naming
// another macro stays undecided, since a build may define it (`-DUSE_FP16`).
import { evalIntExpr } from '../preprocess/expr';
import { DEBUG_MACRO, fileSwitches, type FileSwitches } from './file-switches';

/** The least of a syntax node this needs: web-tree-sitter's Node and the mirror both have it. */
interface BranchNode<N> {
  type: string;
  text: string;
  startIndex: number;
  children: N[];
  childForFieldName(name: string): N | null;
}

/**
 * The toolkit's version macros, as a current CUDA toolkit defines them (12.x: the one any GPU the advice
 * is for needs): `#if CUDART_VERSION < 11000` code is for toolkits nobody builds with any more.
 */
const TOOLKIT: Record<string, number> = { CUDART_VERSION: 12000, CUDA_VERSION: 12000, __CUDACC_VER_MAJOR__: 12 };
const TOOLKIT_KNOWN = { value: (name: string) => TOOLKIT[name] ?? null, defined: (name: string) => (name in TOOLKIT ? 1 : null) };

/** 1 taken, 0 never, null undecided. */
function decided<N extends BranchNode<N>>(n: N, switches: FileSwitches): number | null {
  const cond = n.childForFieldName('condition');
  if (!cond) return null;
  const known = switches === NO_SWITCHES ? TOOLKIT_KNOWN : {
    value: (name: string) => TOOLKIT[name] ?? switches.defined.get(name) ?? (switches.off.has(name) ? 0 : null),
    defined: (name: string) => (name in TOOLKIT || switches.defined.has(name) ? 1 : switches.off.has(name) ? 0 : null),
  };
  const v = evalIntExpr(cond.text, known);
  return v === null ? null : v ? 1 : 0;
}
const NO_SWITCHES = fileSwitches(undefined);

/**
 * The children of `n` the compiler can see: all of them unless `n` is an `#if`/`#elif`
 * whose condition decides itself; then the branch it rules out is left out (the condition
 * itself is dropped too, so nothing reads it as code).
 */
export function liveChildren<N extends BranchNode<N>>(n: N, switches: FileSwitches = NO_SWITCHES): N[] {
  // (a debug switch stays the release build's, off, even where the file turns it on)
  if (n.type === 'preproc_ifdef') return debugSwitch(n) ? releaseBuild(n) : switched(n, switches) ?? n.children;
  if (n.type !== 'preproc_if' && n.type !== 'preproc_elif') return n.children;
  const v = decided(n, switches);
  if (v === null) return n.children;
  const alternative = n.childForFieldName('alternative');
  const cond = n.childForFieldName('condition');
  if (v === 0) return alternative ? [alternative] : [];
  // by position: web-tree-sitter makes a new object at each access
  return n.children.filter((c) => c.startIndex !== alternative?.startIndex && c.startIndex !== cond?.startIndex);
}

/** `#ifdef NAME` / `#ifndef NAME` of a switch the file defines or comments out: the branch it takes; null when undecided. */
function switched<N extends BranchNode<N>>(n: N, switches: FileSwitches): N[] | null {
  const name = n.childForFieldName('name')?.text ?? '';
  const on = switches.defined.has(name) ? true : switches.off.has(name) ? false : null;
  if (on === null) return null;
  const taken = on !== (n.children[0]?.type === '#ifndef');
  const alternative = n.childForFieldName('alternative');
  if (!taken) return alternative ? [alternative] : [];
  return n.children.filter((c) => c.startIndex !== alternative?.startIndex && c.startIndex !== n.childForFieldName('name')?.startIndex);
}


/**
 * `#ifdef DEBUG` code is compiled only in debug builds and `#ifndef NDEBUG` code only
 * without NDEBUG: a performance tool reads the release build, where neither is.
 */
function debugSwitch<N extends BranchNode<N>>(n: N): boolean {
  const name = n.childForFieldName('name')?.text ?? '';
  return n.children[0]?.type === '#ifndef' ? name === 'NDEBUG' : DEBUG_MACRO.test(name);
}

/** A debug switch's release-build branch: its `#else`, if any. */
function releaseBuild<N extends BranchNode<N>>(n: N): N[] {
  const alternative = n.childForFieldName('alternative');
  return alternative ? [alternative] : [];
}
