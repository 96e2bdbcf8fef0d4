// Build step run by `npm install` (prepare) and `npm test`: copies the tree-sitter
// grammars into grammars/ with their licenses and versions, then bundles the
// server/CLI and the VS Code client with esbuild.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const grammarsDir = join(root, 'grammars');
mkdirSync(grammarsDir, { recursive: true });

// [npm package, wasm file inside it, name under grammars/]
const grammars = [
  ['tree-sitter-cuda', 'tree-sitter-cuda.wasm', 'cuda.wasm'],
  ['tree-sitter-cpp', 'tree-sitter-cpp.wasm', 'cpp.wasm'],
  ['tree-sitter-python', 'tree-sitter-python.wasm', 'python.wasm'],
  ['web-tree-sitter', 'web-tree-sitter.wasm', 'web-tree-sitter.wasm'],
];
const versions = {};
for (const [pkg, wasm, target] of grammars) {
  const pkgDir = join(root, 'node_modules', pkg);
  const meta = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  copyFileSync(join(pkgDir, wasm), join(grammarsDir, target));
  const license = ['LICENSE', 'LICENSE.md', 'COPYING'].map((f) => join(pkgDir, f)).find(existsSync);
  if (license) copyFileSync(license, join(grammarsDir, `LICENSE-${pkg}`));
  versions[target] = { package: pkg, version: meta.version, license: meta.license ?? null };
}
writeFileSync(join(grammarsDir, 'versions.json'), JSON.stringify(versions, null, 2) + '\n');

// web-tree-sitter's ESM build reads import.meta.url, which a CJS bundle lacks: bundle its CJS build.
// jsonc-parser's main is a UMD build whose require('./impl/...') esbuild cannot follow: bundle its ESM build.
const alias = {
  'web-tree-sitter': join(root, 'node_modules/web-tree-sitter/web-tree-sitter.cjs'),
  'jsonc-parser': join(root, 'node_modules/jsonc-parser/lib/esm/main.js'),
};
const common = { alias, bundle: true, minify: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };
if (existsSync(join(root, 'server/src/cli.ts'))) {
  await build({ ...common, entryPoints: [join(root, 'server/src/cli.ts')], outfile: join(root, 'dist/cli.js') });
}
if (existsSync(join(root, 'client/src/extension.ts'))) {
  await build({ ...common, entryPoints: [join(root, 'client/src/extension.ts')], outfile: join(root, 'dist/extension.js'), external: ['vscode'] });
}
