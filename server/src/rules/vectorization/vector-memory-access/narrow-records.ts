// vectorization/vector-memory-access for a thread per interleaved record of bytes (an RGB pixel:
// `rgb[3 * i]`, `[3 * i + 1]`, `[3 * i + 2]`, then one gray byte out). No 16-byte access covers a
// 3-byte record, so the chunk check says nothing; but 1-byte accesses are the costly ones. Four
// records per thread move as 32-bit words (3 loads of 4 bytes for 4 pixels, one uchar4 store):
// measured on an H200 (bench/gpu/chunks/byte_pixels.cu, results/2026-12-02), RGB to gray over 2^24
// pixels went from 1.41 to 3.21 TB/s (2.28x), over 2^21 (a 1080p frame) 1.41x.
import { detail } from '../../common/detail';
import type { AccessFact, FunctionFacts } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { coversAllResidues } from '../../common/residues';

const TID = 'threadIdx.x';
/** Record lengths (elements per thread) this check reads: a pixel of 2 to 4 channels. */
const MAX_RECORD = 4;

/** Elements apart per lane: 1 for a plain stream, 3 for an RGB pixel; null for anything else. */
function lanesApart(a: AccessFact): number | null {
  if (a.indices.length !== 1 || a.vector || a.kind === 'atomic' || a.elemBits !== 8) return null;
  const p = a.indices[0];
  if (p.unknown || p.hasAtoms) return null;
  const c = p.coefficient(TID);
  return c.isConstant && c.constant >= 1 && c.constant <= MAX_RECORD ? c.constant : null;
}

/** A kernel whose threads each move one interleaved byte record a byte at a time, beside byte streams. */
export function checkNarrowRecords(fn: FunctionFacts, globals: readonly AccessFact[]): RuleFinding[] {
  const apart = globals.map(lanesApart);
  if (!globals.length || apart.some((k) => k === null)) return [];
  const records = globals.filter((_, i) => apart[i]! >= 2);
  if (!records.length || !records.every((a) => coversAllResidues(a, lanesApart(a)!, globals))) return [];
  // (a record of 4 bytes is one uchar4 already: the chunk check's case)
  const k = Math.max(...apart.map((x) => x!));
  if (k === 4) return [];
  const names = [...new Set(records.map((a) => `\`${a.text}\``))].slice(0, 3).join(', ');
  const streams = globals.filter((_, i) => apart[i] === 1);
  const verb = (xs: readonly AccessFact[]) => (xs.every((a) => a.kind === 'load') ? 'reads' : xs.every((a) => a.kind === 'store') ? 'writes' : 'moves');
  const beside = streams.length ? ` (and ${verb(streams)} 1 byte)` : '';
  return [{
    range: fn.nameRange,
    function: fn.name,
    confidence: 'likely',
    assumptions: ['assumes the buffers are 4-byte aligned and the record count is a multiple of 4, or a scalar tail handles the rest'],
    message: `${names}: each thread ${verb(records)} its ${k}-byte record one byte at a time${beside}, 1-byte memory instructions`,
    detail: detail(
      `Each thread of \`${fn.name}\` reads or writes its interleaved ${k}-byte record one byte per access (${names})${streams.length ? `, and moves ${streams.map((a) => `\`${a.text}\``).slice(0, 2).join(', ')} one byte at a time` : ''}.`,
      `Have each thread take 4 records: their ${4 * k} bytes as ${k} 32-bit words (uchar4), and each 1-byte stream as one uchar4, with a scalar tail for the last records.`,
    ),
    benefit: 'on an H200, RGB to gray over 2^24 pixels went from 1.41 to 3.21 TB/s (2.28x) with 4 pixels per thread moved as 32-bit words (1.41x on a 1080p frame)',
  }];
}
