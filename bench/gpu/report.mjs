// Turns a run's results (run.sh's results.jsonl and gpu.txt) into the table of measured
// speedups and the evidence records of knowledge/evidence.json (one per fix step).
// Usage: node bench/gpu/report.mjs RESULTS_DIR [--date YYYY-MM-DD] [--write]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [dir] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!dir) {
  console.error('usage: node bench/gpu/report.mjs RESULTS_DIR [--date YYYY-MM-DD] [--write]');
  process.exit(2);
}
const dateArg = process.argv.indexOf('--date');
const date = dateArg > 0 ? process.argv[dateArg + 1] : new Date().toISOString().slice(0, 10);
const gpu = readFileSync(join(dir, 'gpu.txt'), 'utf8').split('\n')[0].split(',')[0].trim() || 'GPU';
const rows = readFileSync(join(dir, 'results.jsonl'), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const { pairs } = JSON.parse(readFileSync(join(here, 'pairs.json'), 'utf8'));
const find = (pair, variant) => rows.find((r) => r.pair === pair && r.variant === variant);
const pct = (x) => `${Math.round(x * 100)}%`;

const table = ['| rule | pair | before | fix-generated | hand-written | fix speedup | fix vs hand | outputs |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
const evidence = [];
for (const p of pairs) {
  const failed = rows.find((r) => r.pair === p.pair && r.error);
  for (const s of p.steps) {
    if (failed) {
      table.push(`| ${s.rule} | ${p.what} | — | ${failed.error} | — | — | — | — |`);
      continue;
    }
    const before = find(p.pair, s.base ?? 'before');
    const fix = find(p.pair, s.variant ?? 'fix');
    const hand = find(p.pair, s.hand ?? 'hand');
    const edges = rows.filter((r) => r.pair.startsWith(`${p.pair}-`) && r.variant === (s.variant ?? 'fix'));
    if (!before || !fix) {
      table.push(`| ${s.rule} | ${p.what} | — | not measured | — | — | — | — |`);
      continue;
    }
    const ok = fix.ok && edges.every((e) => e.ok);
    const speedup = before.ms / fix.ms;
    const unit = fix.unit;
    const cell = (r) => (r ? `${r.ms.toFixed(3)} ms, ${r.value.toFixed(unit === 'GB/s' ? 0 : 1)} ${unit} (${pct(r.of_ceiling)})` : '—');
    const worst = Math.max(fix.max_rel_error, ...edges.map((e) => e.max_rel_error));
    const checked = worst === 0 ? "equal to the before kernel's" + (edges.length ? ' (also at odd sizes)' : '') : `within ${worst.toExponential(1)} relative of the before kernel's (tolerance ${fix.tolerance})`;
    table.push(`| ${s.rule} | ${p.what} | ${cell(before)} | ${cell(fix)} | ${cell(hand)} | ${speedup.toFixed(2)}× | ${hand ? pct(hand.ms / fix.ms) : '—'} | ${ok ? checked : 'MISMATCH'} |`);
    if (!ok) continue; // a fix whose output differs is a bug, not evidence
    const ceiling = unit === 'GB/s' ? `device-to-device copy ${Math.round(fix.ceiling)} GB/s` : `${p.ceiling ?? 'cuBLAS fp32'} ${fix.ceiling.toFixed(1)} TFLOP/s`;
    evidence.push({
      rule: s.rule, gpu, workload: p.what + (s.base === 'fix-tiled' ? ', from the shared-tiled kernel the tiling fix writes' : ''),
      beforeMs: +before.ms.toFixed(4), fixMs: +fix.ms.toFixed(4), ...(hand ? { handMs: +hand.ms.toFixed(4) } : {}),
      speedup: +speedup.toFixed(3), fixOfCeiling: +fix.of_ceiling.toFixed(3), ...(hand ? { handOfCeiling: +hand.of_ceiling.toFixed(3) } : {}),
      ceiling, checked, date, bench: `bench/gpu/${p.pair}`,
    });
  }
}
console.log(table.join('\n'));
if (process.argv.includes('--write')) {
  const file = join(here, '..', '..', 'knowledge', 'evidence.json');
  const kept = JSON.parse(readFileSync(file, 'utf8')).filter((e) => !evidence.some((n) => n.bench === e.bench && n.rule === e.rule));
  writeFileSync(file, JSON.stringify([...kept, ...evidence], null, 2) + '\n');
  console.log(`\n${evidence.length} evidence records written to knowledge/evidence.json`);
}
