// Every generated documentation file, by path relative to the repository root:
// docs/rules/<rule id>.md, docs/rules/README.md and the .kernel-advisor.json schema.
// `npm run docs` (scripts/docs.ts) writes them; test/rule-docs.test.ts compares.
import type { KnowledgeBase } from '../core/knowledge';
import { RULE_IDS } from '../core/ruleIds';
import { CONFIG_SCHEMA_PATH, configJsonSchema } from './configSchema';
import { rulePagePath } from './links';
import { rulePage, rulesIndex } from './rulePages';

export const RULE_DOCS_DIR = 'docs/rules';

export function generatedFiles(kb: KnowledgeBase): Map<string, string> {
  const files = new Map<string, string>();
  for (const id of RULE_IDS) files.set(rulePagePath(id), rulePage(id, kb));
  files.set(`${RULE_DOCS_DIR}/README.md`, rulesIndex(kb));
  files.set(CONFIG_SCHEMA_PATH, JSON.stringify(configJsonSchema(kb), null, 2) + '\n');
  return files;
}
