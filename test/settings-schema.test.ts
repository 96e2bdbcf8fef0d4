// package.json's `contributes.configuration` must declare exactly the settings that
// server/src/core/config.ts validates (one source of truth, checked here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS_SCHEMA } from '../server/src/core/config';
import { RULE_IDS } from '../server/src/core/ruleIds';
import { checkedInText } from '../server/src/core/knowledge';
import { ALL_RULES } from '../server/src/rules';

const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));

test('package.json declares the settings config.ts validates, with the same types, enums and defaults', () => {
  const sections = Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration : [pkg.contributes.configuration];
  const declared: Record<string, Record<string, unknown>> = Object.assign({}, ...sections.map((s: { properties: object }) => s.properties));
  for (const [key, schema] of Object.entries(SETTINGS_SCHEMA)) {
    const d = declared[key];
    assert.ok(d, `${key} is missing from package.json`);
    assert.equal(d.type, schema.type, `${key} type`);
    assert.deepEqual(d.default, schema.default, `${key} default`);
    if ('properties' in schema) {
      // the rule picker's descriptions are package.json's own (checked below); types and enums must match
      const stripped = Object.fromEntries(Object.entries(d.properties as Record<string, Record<string, unknown>>).map(([id, p]) => [id, Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'description'))]));
      assert.deepEqual(stripped, JSON.parse(JSON.stringify(schema.properties)), `${key} rule ids and severities`);
    }
    if ('items' in schema) assert.deepEqual(d.items, JSON.parse(JSON.stringify(schema.items)), `${key} items`);
  }
  const extra = Object.keys(declared).filter((k) => !(k in SETTINGS_SCHEMA) && k !== 'kernelAdvisor.trace.server');
  assert.deepEqual(extra, [], 'package.json declares settings the server does not read');
});

test("the rule picker says, for each rule, the languages it has a check in (as `kernel-advisor explain` does)", () => {
  const props = pkg.contributes.configuration.properties['kernelAdvisor.rules'].properties as Record<string, { description?: string }>;
  for (const id of RULE_IDS) {
    const rule = ALL_RULES.find((r) => r.id === id);
    const expected = checkedInText(rule ? rule.languages : []);
    assert.ok(props[id]?.description?.endsWith(expected), `${id}: "${props[id]?.description}" should end with "${expected}"`);
  }
});

test('the extension activates on the languages it analyses and declares untrusted-workspace support', () => {
  assert.deepEqual([...pkg.activationEvents].sort(), ['onLanguage:c', 'onLanguage:cpp', 'onLanguage:cuda-cpp', 'onLanguage:python']);
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, true);
});
