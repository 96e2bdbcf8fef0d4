// The integer constants a file names (`#define N 1024`, `const int K = 3;`, `constexpr
// size_t T = 64;`), for the trip counts of CPU loop nests; read once per source text, with
// a key that says whether two texts name the same constants (a per-function cache keeps
// findings while it is the same).
const byLines = new WeakMap<readonly string[], { constants: ReadonlyMap<string, number>; key: string }>();

/** What each line names, by its text: an edit changes one line, so the next version's scan reads just that one. */
const byLine = new Map<string, readonly [string, number][]>();
const NOTHING: readonly [string, number][] = [];

/** Integer constants named at file scope or in the function: `#define N 1024`, `const int K = 3;`, `constexpr size_t T = 64;`. */
function scan(lines: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines) {
    if (!line.includes('define') && !line.includes('const')) continue; // most lines: no regex at all
    let named = byLine.get(line);
    if (!named) {
      if (byLine.size > 50_000) byLine.clear();
      byLine.set(line, (named = lineConstants(line)));
    }
    for (const [k, v] of named) out.set(k, v);
  }
  return out;
}

function lineConstants(line: string): readonly [string, number][] {
  let m = /^\s*#\s*define\s+([A-Za-z_]\w*)\s+\(?\s*(\d+)\s*[uUlL]*\s*\)?\s*(?:\/\/.*|\/\*.*)?$/.exec(line);
  if (m) return [[m[1], Number(m[2])]];
  const out: [string, number][] = [];
  const re = /\b(?:const|constexpr)\s+(?:static\s+)?(?:unsigned\s+|signed\s+)?(?:int|long|short|size_t|std::size_t|int32_t|int64_t|uint32_t|uint64_t|unsigned)\s+([A-Za-z_]\w*)\s*=\s*(\d+)\s*[uUlL]*\s*[;,]/g;
  while ((m = re.exec(line))) out.push([m[1], Number(m[2])]);
  return out.length ? out : NOTHING;
}

export function fileConstants(lines: readonly string[]): { constants: ReadonlyMap<string, number>; key: string } {
  let hit = byLines.get(lines);
  if (!hit) {
    const constants = scan(lines);
    hit = { constants, key: [...constants].map(([k, v]) => `${k}=${v}`).join(',') };
    byLines.set(lines, hit);
  }
  return hit;
}
