// `npm run docs`: writes the rule pages (docs/rules/), their index and the
// .kernel-advisor.json schema (schemas/), and removes pages of rules that no longer exist.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { loadKnowledge } from '../server/src/core/knowledge';
import { RULE_DOCS_DIR, generatedFiles } from '../server/src/docs/generate';

const root = join(__dirname, '..');
const files = generatedFiles(loadKnowledge(join(root, 'knowledge')));

const docsDir = join(root, RULE_DOCS_DIR);
const existing = existsSync(docsDir) ? (readdirSync(docsDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.md')) : [];
for (const f of existing) {
  const path = relative(root, join(docsDir, f)).split('\\').join('/');
  if (!files.has(path)) rmSync(join(root, path));
}
for (const [path, text] of files) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}
console.log(`wrote ${files.size} files (${RULE_DOCS_DIR}/, schemas/)`);
