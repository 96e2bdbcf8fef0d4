// Installs the harness's own dependencies (code-server 4.100.3, playwright-core, mocha)
// into test/e2e/node_modules from the npm registry, with the workarounds that
// E2E-NOTES.md lists for this kind of machine:
//  1. code-server refuses to install as root without npm_config_unsafe_perm=true;
//  2. @vscode/ripgrep would download rg from GitHub: it first looks for a cached
//     archive in $TMPDIR, so we put Debian's /usr/bin/rg there;
//  3. node-pty's postinstall runs `npx node-gyp`: npm_config_yes=true.
// Install scripts are allowed for code-server and argon2 only (package.json allowScripts).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const RIPGREP_CACHE = ['vscode-ripgrep-cache-1.15.11', 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz'];

/** Files whose presence means the install finished (code-server's postinstall included). */
function installed(dir) {
  const vscode = join(dir, 'node_modules/code-server/lib/vscode');
  return [
    'node_modules/playwright-core/package.json',
    'node_modules/mocha/package.json',
    'node_modules/code-server/out/node/entry.js',
  ].every((f) => existsSync(join(dir, f)))
    && existsSync(join(vscode, 'node_modules/@vscode/ripgrep/bin/rg'))
    && existsSync(join(vscode, 'extensions/node_modules'));
}

function stamp(dir) {
  const h = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) if (existsSync(join(dir, f))) h.update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

/**
 * Makes sure test/e2e/node_modules is complete. Returns undefined on success, or the
 * reason it could not install.
 */
export function ensureHarnessDeps(dir, log = console.log) {
  const stampFile = join(dir, 'node_modules', '.kernel-advisor-e2e-stamp');
  if (installed(dir) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp(dir)) return undefined;
  if (!existsSync('/usr/bin/rg')) return 'ripgrep (/usr/bin/rg) is missing';

  const tmp = mkdtempSync(join(tmpdir(), 'ka-e2e-install-'));
  try {
    // Workaround 2: the archive @vscode/ripgrep looks for before it tries GitHub.
    const cacheDir = join(tmp, RIPGREP_CACHE[0]);
    mkdirSync(cacheDir);
    mkdirSync(join(tmp, 'rg'));
    cpSync('/usr/bin/rg', join(tmp, 'rg', 'rg'));
    const tar = spawnSync('tar', ['czf', join(cacheDir, RIPGREP_CACHE[1]), '-C', join(tmp, 'rg'), 'rg'], { stdio: 'inherit' });
    if (tar.status !== 0) return 'could not pack /usr/bin/rg for @vscode/ripgrep';

    const env = {
      ...process.env,
      TMPDIR: tmp,
      npm_config_unsafe_perm: 'true', // workaround 1
      npm_config_yes: 'true', // workaround 3
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_update_notifier: 'false',
    };
    const cmd = existsSync(join(dir, 'package-lock.json')) ? 'ci' : 'install';
    log(`e2e: installing the harness (npm ${cmd} in test/e2e: code-server 4.100.3, playwright-core, mocha; about a minute)…`);
    const started = Date.now();
    const npm = spawnSync('npm', [cmd, '--no-fund', '--no-audit'], { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
    if (npm.error) return `could not run npm: ${npm.error.message}`;
    if (npm.status !== 0) return `npm ${cmd} in test/e2e failed (exit ${npm.status})`;
    if (!installed(dir)) return 'npm finished but code-server is incomplete (its postinstall did not build lib/vscode)';
    writeFileSync(stampFile, stamp(dir));
    log(`e2e: harness installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return undefined;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
