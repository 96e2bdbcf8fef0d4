// schemas/kernel-advisor.schema.json gives VS Code completion and validation in
// .kernel-advisor.json (contributes.jsonValidation). It is generated from SETTINGS_SCHEMA
// (test/rule-docs.test.ts checks the file is current); here: it is wired up, and it
// accepts and rejects what validateConfig accepts and rejects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { validateConfig } from '../server/src/core/config';
import { RULE_IDS } from '../server/src/core/ruleIds';
import { CONFIG_SCHEMA_PATH } from '../server/src/docs/configSchema';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const schema = JSON.parse(readFileSync(join(root, CONFIG_SCHEMA_PATH), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

test('package.json hands the schema to VS Code for .kernel-advisor.json', () => {
  const entry = (pkg.contributes.jsonValidation ?? []).find((j: { fileMatch: string | string[] }) => [j.fileMatch].flat().includes('.kernel-advisor.json'));
  assert.ok(entry, 'no contributes.jsonValidation entry for .kernel-advisor.json');
  assert.ok(existsSync(join(root, entry.url)), `${entry.url} does not exist`);
  assert.equal(join(root, entry.url), join(root, CONFIG_SCHEMA_PATH));
  const ignore = readFileSync(join(root, '.vscodeignore'), 'utf8');
  assert.match(ignore, /^!schemas\//m, 'the schema must ship in the .vsix');
});

test('every rule id can be completed, with its severities', () => {
  const rules = schema.properties.rules.properties;
  assert.deepEqual(Object.keys(rules), [...RULE_IDS]);
  for (const id of RULE_IDS) {
    assert.deepEqual(rules[id].enum, ['off', 'error', 'warning', 'information', 'hint']);
    assert.match(rules[id].description, /Checked in|No check yet/);
  }
});

const GOOD: unknown[] = [
  {},
  { rules: { 'vectorization/vector-memory-access': 'hint' }, languages: ['cuda', 'cpp', 'c', 'triton'], maxFileSizeKb: 1024 },
  { $schema: './schemas/kernel-advisor.schema.json', rules: { 'fusion/attention': 'off' }, includePaths: ['include', '/opt/cuda/include'] },
];
const BAD: unknown[] = [
  { rules: { 'fusion/not-a-rule': 'off' } },
  { rules: { 'fusion/attention': 'loud' } },
  { rules: ['fusion/attention'] },
  { languages: ['fortran'] },
  { languages: 'cuda' },
  { maxFileSizeKb: 0 },
  { maxFileSizeKb: '1024' },
  { includePaths: [3] },
];

test('the schema accepts what the settings validation accepts, and rejects what it reports', () => {
  for (const config of GOOD) {
    assert.ok(validate(config), `schema rejects ${JSON.stringify(config)}: ${JSON.stringify(validate.errors)}`);
    assert.deepEqual(validateConfig(config).problems, [], `validateConfig reports ${JSON.stringify(config)}`);
  }
  for (const config of BAD) {
    assert.equal(validate(config), false, `schema accepts ${JSON.stringify(config)}`);
    assert.notDeepEqual(validateConfig(config).problems, [], `validateConfig accepts ${JSON.stringify(config)}`);
  }
});

test('a misspelt top-level key is flagged in the editor', () => {
  assert.equal(validate({ rule: { 'fusion/attention': 'off' } }), false);
});
