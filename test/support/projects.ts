// Shared by the tests that run the built CLI: temp project folders, and a clear failure
// when the bundle has not been built (`npm test` builds first; alone, run `npm run build`).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');

export function assertBuilt(): void {
  for (const f of ['dist/cli.js', 'grammars/cuda.wasm']) {
    assert.ok(existsSync(join(repoRoot, f)), `${f} is missing: run \`npm run build\` first (npm test does)`);
  }
}

/** Makes temp folders holding the given files: `const project = projects('ka-cli-'); project({ 'a.cu': src })`. */
export function projects(prefix: string): { root: string; project: (files: Record<string, string | Buffer>) => string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  let n = 0;
  return {
    root,
    project(files) {
      const dir = join(root, `p${n++}`);
      mkdirSync(dir);
      for (const [rel, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        writeFileSync(join(dir, rel), content);
      }
      return dir;
    },
  };
}
