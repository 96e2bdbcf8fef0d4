// The Marketplace package: manifest fields, icon, changelog, the user README's links, and
// the Neovim configuration that both READMEs show (the headless Neovim test,
// test/e2e/nvim.mjs, runs it; these checks hold where nvim is not installed).
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const pkg = JSON.parse(read('package.json'));

test('package.json has what the Marketplace shows: icon, repository, bugs; the package script uses the user README', () => {
  assert.match(pkg.repository?.url ?? pkg.repository ?? '', /^https:\/\/github\.com\/kernel-advisor\/kernel-advisor(\.git)?$/);
  assert.equal(pkg.bugs?.url, 'https://github.com/kernel-advisor/kernel-advisor/issues');
  assert.doesNotMatch(pkg.scripts.package, /--allow-missing-repository/);
  assert.match(pkg.scripts.package, /--readme-path client\/README\.md/);
  assert.ok(existsSync(join(root, 'client/README.md')));
});

test('the icon is a 128×128 PNG that ships in the .vsix', () => {
  const png = readFileSync(join(root, pkg.icon));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'not a PNG');
  assert.equal(png.toString('ascii', 12, 16), 'IHDR');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  const ignore = read('.vscodeignore').split('\n');
  assert.ok(ignore.includes(`!${pkg.icon}`), '.vscodeignore must let the icon in');
  assert.ok(ignore.includes('!CHANGELOG.md'), '.vscodeignore must let CHANGELOG.md in');
});

test('CHANGELOG.md has an entry for the package version', () => {
  assert.match(read('CHANGELOG.md'), new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\]`, 'm'));
});

test("the user README's relative links and images exist (vsce points them at the repository root); images are PNG", () => {
  const md = read('client/README.md');
  const links = [...md.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => ({ image: m[1] === '!', target: m[2] }));
  assert.ok(links.some((l) => l.image), 'no screenshot');
  for (const { image, target } of links) {
    if (image) assert.match(target, /\.png$/, `${target}: the Marketplace wants PNG (no SVG)`);
    if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue;
    assert.ok(existsSync(join(root, target.split('#')[0])), `${target} does not exist (relative to the repository root)`);
    assert.doesNotMatch(target, /^test-artifacts\//, `${target}: test-artifacts/ is not committed`);
  }
});

/** The Lua block of the Neovim section (indented in README.md, fenced in client/README.md). */
function neovimConfig(md: string): string {
  const section = md.slice(md.search(/^(\*\*|#+ )Neovim\b/m));
  const fenced = /```lua\n([\s\S]*?)```/.exec(section.slice(0, section.search(/^(\*\*|#+ )Helix\b/m)));
  if (fenced) return fenced[1].trim();
  const block = /\n\n((?: {4}.*\n|\n)+)/.exec(section)![1];
  return block.split('\n').map((l) => l.slice(4)).join('\n').trim();
}

test('the Neovim configuration is the same in both READMEs and works on 0.7 (no vim.fs, no npx, vim.empty_dict())', () => {
  const lua = neovimConfig(read('README.md'));
  assert.equal(neovimConfig(read('client/README.md')), lua);
  assert.match(lua, /'node', '\/path\/to\/kernel-advisor\/dist\/cli\.js', 'lsp', '--stdio'/);
  assert.doesNotMatch(lua, /vim\.fs\.\w+\(|\bnpx\b/, 'vim.fs is 0.10+ only; npx adds a second or two');
  assert.match(lua, /vim\.lsp\.start_client\(/, 'Neovim 0.7 has no vim.lsp.start');
  assert.match(lua, /rules = vim\.empty_dict\(\)/);
});
