// Writes each pair's `after` files by running the rule's fix on the file before it
// (`kernel-advisor fix --rule ID --unsafe --stdout`), so the measured kernels are the
// ones the product writes, never hand-edited. `--check` only reports files that differ.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'dist', 'cli.js');
const check = process.argv.includes('--check');
const { pairs } = JSON.parse(readFileSync(join(here, 'pairs.json'), 'utf8'));

let bad = 0;
for (const p of pairs) {
  for (const s of p.steps) {
    const from = join(here, p.pair, s.from);
    const to = join(here, p.pair, s.to);
    if (!existsSync(from)) {
      console.error(`${p.pair}: ${s.from} is missing`);
      bad++;
      continue;
    }
    const r = spawnSync(process.execPath, [cli, 'fix', '--rule', s.rule, '--unsafe', '--stdout', from], { encoding: 'utf8' });
    const applied = (r.stderr.match(/applied: /g) ?? []).length;
    if (r.status !== 0 || applied === 0) {
      console.error(`${p.pair}: the ${s.rule} fix did not apply to ${s.from}${r.stderr ? `:\n${r.stderr}` : ''}`);
      bad++;
      continue;
    }
    const text = r.stdout;
    if (check) {
      if (!existsSync(to) || readFileSync(to, 'utf8') !== text) {
        console.error(`${p.pair}/${s.to} is not what the fix writes now: run node bench/gpu/generate.mjs`);
        bad++;
      }
    } else {
      writeFileSync(to, text);
      console.log(`${p.pair}/${s.to}: ${applied} fix${applied === 1 ? '' : 'es'} of ${s.rule}`);
    }
  }
}
process.exit(bad ? 1 : 0);
