#!/usr/bin/env node
// Neovim as a second real editor: runs test/e2e/nvim/test.lua in a headless Neovim
// (`nvim --headless -u NONE -c "luafile ..."`, which Neovim 0.7 understands; `-l` is 0.9+)
// against the server of this checkout (`node dist/cli.js lsp --stdio`).
// The Lua script uses the README's Neovim configuration, taken from README.md (and
// checked to be the same in client/README.md, the Marketplace page), with
// /path/to/kernel-advisor replaced by this checkout; so the documented set-up is the
// one tested. Without nvim on PATH it skips (exit 0), except under CI=true, where it fails.
//   --no-build  use dist/ as it is (npm test has just built it)
//   --keep      keep the temp folder (workspace copy, the configuration it ran)
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const NVIM = process.env.KA_NVIM || 'nvim';
const CI = process.env.CI === 'true';
const TIMEOUT_MS = 120_000;
const FIXTURE = 'transpose_tile.cu'; // from test/e2e/workspace, shared with the code-server tests
const RULE = 'memory/shared-bank-conflict';
const started = Date.now();

function done(passed, failed, note = '') {
  console.log(`Neovim test: ${passed} passed, ${failed} failed${note} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.exit(failed === 0 ? 0 : 1);
}

/** The README's Neovim configuration: the first ```lua or indented block after "**Neovim**" (or a "Neovim" heading), before Helix. */
function neovimConfigOf(markdown) {
  const lines = markdown.split('\n');
  const from = lines.findIndex((l) => /^(\*\*|#+ )Neovim\b/.test(l));
  if (from < 0) return null;
  const to = lines.findIndex((l, i) => i > from && /^(\*\*|#+ )Helix\b/.test(l));
  const block = lines.slice(from + 1, to < 0 ? undefined : to);
  const fenced = block.findIndex((l) => l.startsWith('```lua'));
  let code;
  if (fenced >= 0) {
    const end = block.findIndex((l, i) => i > fenced && l.startsWith('```'));
    code = block.slice(fenced + 1, end);
  } else {
    const first = block.findIndex((l) => l.startsWith('    '));
    if (first < 0) return null;
    let last = first;
    for (let i = first; i < block.length; i++) if (block[i].startsWith('    ')) last = i; else if (block[i].trim() !== '') break;
    code = block.slice(first, last + 1).map((l) => l.slice(4));
  }
  return code.join('\n').trim() + '\n';
}

const version = spawnSync(NVIM, ['--version'], { encoding: 'utf8' });
if (version.error || version.status !== 0) {
  if (CI) {
    console.log(`\nFAILED Neovim test: ${NVIM} not found. CI=true requires it; install: apt-get install neovim`);
    done(0, 1);
  }
  console.log(`\nSKIPPED Neovim test: ${NVIM} not found; to enable: apt-get install neovim`);
  done(0, 0, ', skipped');
}
console.log(`\nNeovim test (${version.stdout.split('\n')[0]})`);

if (!process.argv.includes('--no-build')) {
  const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.log('nvim: the build failed');
    done(0, 1);
  }
}
const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  console.log('nvim: dist/cli.js is missing (npm run build)');
  done(0, 1);
}

const config = neovimConfigOf(readFileSync(join(root, 'README.md'), 'utf8'));
if (!config || !config.includes('/path/to/kernel-advisor/dist/cli.js')) {
  console.log('nvim: README.md has no Neovim configuration (an indented block after **Neovim**) invoking /path/to/kernel-advisor/dist/cli.js');
  done(0, 1);
}
const userReadme = join(root, 'client', 'README.md');
if (existsSync(userReadme) && neovimConfigOf(readFileSync(userReadme, 'utf8')) !== config) {
  console.log('nvim: the Neovim configuration of client/README.md differs from README.md\'s; keep them the same');
  done(0, 1);
}

// <tmp>/ws/.kernel-advisor.json marks the root; the fixture sits one folder below it.
const tmp = mkdtempSync(join(tmpdir(), 'ka-nvim-'));
const ws = join(tmp, 'ws');
mkdirSync(join(ws, 'src'), { recursive: true });
writeFileSync(join(ws, '.kernel-advisor.json'), '{}\n');
cpSync(join(here, 'workspace', FIXTURE), join(ws, 'src', FIXTURE));
const configFile = join(tmp, 'kernel-advisor.lua');
writeFileSync(configFile, config.replaceAll('/path/to/kernel-advisor', root));
const kb = {
  rules: JSON.parse(readFileSync(join(root, 'knowledge', 'rules.json'), 'utf8')),
  techniques: JSON.parse(readFileSync(join(root, 'knowledge', 'techniques.json'), 'utf8')),
};
const technique = kb.techniques.find((t) => t.id === kb.rules.find((r) => r.id === RULE)?.techniques?.[0])?.name;

const run = spawnSync(NVIM, ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${join(here, 'nvim', 'test.lua')}`], {
  cwd: ws,
  encoding: 'utf8',
  timeout: TIMEOUT_MS,
  killSignal: 'SIGKILL',
  // XDG_* in the temp folder: no user configuration, and the LSP log stays out of $HOME
  env: { ...process.env, KA_NVIM_FILE: join(ws, 'src', FIXTURE), KA_NVIM_CONFIG: configFile, KA_NVIM_TECHNIQUE: technique ?? '',
    XDG_CONFIG_HOME: join(tmp, 'config'), XDG_DATA_HOME: join(tmp, 'data'), XDG_STATE_HOME: join(tmp, 'state'), XDG_CACHE_HOME: join(tmp, 'cache') },
});
const out = `${run.stdout ?? ''}${run.stderr ? `\n${run.stderr}` : ''}`.trim();
const lines = out.split('\n');
for (const line of lines) if (!/^neovim: \d+ passed/.test(line)) console.log(`  │ ${line}`);
const tally = /^neovim: (\d+) passed, (\d+) failed$/m.exec(out);
if (process.argv.includes('--keep')) console.log(`nvim: kept ${tmp}`);
else rmSync(tmp, { recursive: true, force: true });
if (run.error || run.signal) {
  console.log(`nvim: ${run.error?.code === 'ETIMEDOUT' || run.signal ? `did not finish within ${TIMEOUT_MS / 1000} s` : run.error.message}`);
  done(tally ? Number(tally[1]) : 0, (tally ? Number(tally[2]) : 0) + 1);
}
if (!tally) {
  console.log(`nvim: the script printed no tally (exit ${run.status})`);
  done(0, 1);
}
done(Number(tally[1]), Number(tally[2]) + (run.status !== 0 && tally[2] === '0' ? 1 : 0));
