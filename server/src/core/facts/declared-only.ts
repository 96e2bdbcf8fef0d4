// Names a file declares but whose code it does not hold, read from its lines once per analysis:
// functions only prototyped here (defined in another translation unit: `const float *net_forward(net_t
// *net, const float *x);`), and random-number objects a body constructs (`std::uniform_real_distribution
// <float> dist(0.f, 1.f);`), whose call steps a serial generator. Also whether the file is SYCL code
// (`sycl::`, SYCLomatic's `dpct::`), whose loops run in work-items. Rules read these as facts.

import { lineScan } from '../line-scans';
import { boundedMemo } from '../bounded-memo';

/** Random-number engines and distributions: objects whose call (`dist(gen)`) draws the next number of a serial sequence. */
const RANDOM_OBJECT = /_distribution\b|\bmt19937|\bminstd_rand|\branlux|\bdefault_random_engine|\bknuth_b|[Rr]andom|[Rr]ng\b|RNG\b/;
/** `T name(...);` on one line: a prototype at file level, or an object constructed in place in a body (C++'s vexing parse). */
const DECLARED = /^(\s*)(?!return\b|else\b|case\b|goto\b|throw\b|delete\b|new\b|co_return\b|typedef\b|using\b)((?:[A-Za-z_][\w:]*(?:<[^;{}()]*>)?[\s*&]+)+)([A-Za-z_]\w*)\s*\([^;{}]*\)\s*(?:const\s*)?;\s*(?:\/\/.*|\/\*.*)?$/;

/** Prototypes at file level and random-number objects constructed in bodies, by name (the file's own definitions are not removed here). */
export function declaredNames(lines: readonly string[]): string[] {
  return lastDeclared(lines);
}

/**
 * The functions a local header declares (`float euclid_dist_2(float *, float *, int);` in kmeans.h): defined in
 * another file unless the including file defines them. By the header's text (the reader keeps one string a version).
 */
export const headerDeclarations: (text: string) => string[] = boundedMemo((text) => {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const name = declaredOn(line);
    if (name !== null) out.add(name);
  }
  return [...out];
}, 256);

/** A line read as a declaration, whose indentation tells a prototype at file level from an object built in a body. */
export const declaresAnything = (line: string): boolean => declaredOn(line.trimStart()) !== null;

/** The name a line declares, or null. */
function declaredOn(line: string): string | null {
  if (!line.includes('(') || !line.includes(';')) return null;
  const m = DECLARED.exec(line);
  // (in a body, only a generator or a distribution: other objects called by name, `Map<...> m(p, n)`, are accessors)
  return m && (m[1].length === 0 || RANDOM_OBJECT.test(m[2])) ? m[3] : null;
}

/** (each line on its own: kept across edits of lines that declare nothing, before and after) */
const lastDeclared = lineScan((line) => declaredOn(line) === null, (lines) => {
  const out = new Set<string>();
  for (const line of lines) {
    const name = declaredOn(line);
    if (name !== null) out.add(name);
  }
  return [...out];
});

/** A SYCL source (`sycl::nd_item`, `sycl::fmax`, `dpct::`). */
export function isSyclSource(lines: readonly string[]): boolean {
  return lastSycl(lines);
}
const namesSycl = (line: string): boolean => (line.includes('sycl::') || line.includes('dpct::')) && /\b(?:sycl|dpct)::/.test(line);
const lastSycl = lineScan((line) => !namesSycl(line), (lines) => lines.some(namesSycl));
