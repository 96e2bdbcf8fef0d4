// SARIF output (server/src/sarif.ts): every log validates against the official SARIF
// 2.1.0 JSON schema (shipped in @microsoft/jest-sarif), rules carry their documentation,
// fingerprints survive line shifts, and fixes are edits that remove the finding.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type { Log, Result } from 'sarif';
import { Engine } from '../server/src/core/engine';
import { defaultKnowledge } from '../server/src/core/knowledge';
import { RULE_IDS } from '../server/src/core/ruleIds';
import { ALL_RULES } from '../server/src/rules';
import { FINGERPRINT_KEY, toSarif } from '../server/src/sarif';
import { rulePageBody } from '../server/src/docs/rulePages';
import type { CheckReport } from '../server/src/cli';

const root = join(__dirname, '..');
const schema = JSON.parse(readFileSync(join(root, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
// unicodeRegExp off: the schema's language pattern (`...[a-zA-Z]{2}]?$`) is not a valid /u regular expression
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);
const kb = defaultKnowledge();

function assertValid(log: Log): void {
  const ok = validate(JSON.parse(JSON.stringify(log)));
  assert.ok(ok, `not valid SARIF 2.1.0: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
}

let engine: Engine;
before(async () => {
  engine = await Engine.create();
});

/** Analyses files the way `kernel-advisor check` does and returns its report. */
function check(files: string[], extra: Partial<CheckReport> = {}): CheckReport {
  const report: CheckReport = { findings: [], errors: [], skipped: [], files: 0, lines: 0, ...extra };
  for (const file of files) {
    const r = engine.analyzeText(file, readFileSync(file, 'utf8'));
    for (const f of r.findings) report.findings.push({ ...f, file });
    for (const s of r.skipped ?? []) report.skipped.push({ ...s, file });
  }
  return report;
}

const BANK = `#define TILE 32
__global__ void transpose(const float* in, float* out, int n) {
  __shared__ float tile[TILE][TILE];
  int x = blockIdx.x * TILE + threadIdx.x, y = blockIdx.y * TILE + threadIdx.y;
  tile[threadIdx.y][threadIdx.x] = in[y * n + x];
  __syncthreads();
  out[y * n + x] = tile[threadIdx.x][threadIdx.y];
}
`;

test('the SARIF of every example, with errors and skipped functions, is valid SARIF 2.1.0', () => {
  const examples = readdirSync(join(root, 'examples')).filter((f) => !f.endsWith('.md')).map((f) => join(root, 'examples', f));
  const report = check(examples, {
    errors: [{ file: join(root, 'examples/missing.cu'), message: 'could not read the file' }],
    skipped: [{ file: join(root, 'examples/saxpy.cu'), function: 'saxpy', reason: 'the body does not parse', line: 5 }],
  });
  assert.ok(report.findings.length >= 8, `expected the examples' findings, got ${report.findings.length}`);
  const log = toSarif(report, kb, '0.1.0', root);
  assertValid(log);
  const notes = log.runs[0].invocations![0].toolExecutionNotifications!;
  assert.ok(notes.some((n) => n.level === 'note' && /saxpy was not analysed/.test(n.message.text ?? '')), 'skipped functions become notes');
  // a log that breaks the schema is caught (the validator is live)
  assert.equal(validate({ ...JSON.parse(JSON.stringify(log)), version: '2.0.0' }), false);
});

test('every rule is described: short and full descriptions, help from its page, helpUri and default level', () => {
  const log = toSarif(check([]), kb, '0.1.0', root);
  assertValid(log);
  const rules = log.runs[0].tool.driver.rules!;
  assert.deepEqual(rules.map((r) => r.id), [...RULE_IDS]);
  for (const r of rules) {
    const meta = ALL_RULES.find((m) => m.id === r.id)!;
    assert.equal(r.shortDescription?.text, kb.rule(r.id)!.title);
    assert.ok((r.fullDescription?.text.length ?? 0) > 40, `${r.id}: fullDescription`);
    assert.equal(r.help?.markdown, rulePageBody(r.id as (typeof RULE_IDS)[number], kb), `${r.id}: help is the rule page`);
    assert.ok(r.help?.text.includes(kb.rule(r.id)!.title), `${r.id}: help text`);
    assert.match(r.helpUri ?? '', /^https?:\/\//, `${r.id}: helpUri`);
    assert.equal(r.defaultConfiguration?.level, meta.defaultSeverity === 'warning' || meta.defaultSeverity === 'error' ? meta.defaultSeverity : 'note');
  }
});

test('fingerprints survive lines moving, and identical findings in one function get different ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ka-sarif-'));
  const fingerprints = (text: string) => {
    writeFileSync(join(dir, 't.cu'), text);
    const log = toSarif(check([join(dir, 't.cu')]), kb, '0.1.0', dir);
    return log.runs[0].results!.map((r) => r.partialFingerprints![FINGERPRINT_KEY]);
  };
  const original = fingerprints(BANK);
  assert.ok(original.length > 0);
  assert.deepEqual(fingerprints(`// a header comment\n\n#include <cuda_runtime.h>\n${BANK}`), original, 'lines moved down: same fingerprints');
  // the same sum twice in one function: two findings with the same text, two fingerprints
  const twice = fingerprints(`float sums(const float* x, int n) {
  float s = 0.0f;
  for (int i = 0; i < n; ++i) s += x[i];
  for (int i = 0; i < n; ++i) s += x[i];
  return s;
}
`);
  assert.equal(twice.length, 2);
  assert.equal(new Set(twice).size, twice.length, `duplicate fingerprints: ${twice}`);
});

test('a fix becomes SARIF replacements; applying them removes the finding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ka-sarif-'));
  const file = join(dir, 't.cu');
  writeFileSync(file, BANK);
  const log = toSarif(check([file]), kb, '0.1.0', dir);
  assertValid(log);
  const res = log.runs[0].results!.find((r) => r.ruleId === 'memory/shared-bank-conflict') as Result;
  assert.ok(res?.fixes?.length, 'the bank-conflict finding offers its padding fix');
  const change = res.fixes![0].artifactChanges[0];
  assert.equal(change.artifactLocation.uri, 't.cu');
  // apply the replacements (1-based, end-exclusive columns), last first
  const lines = BANK.split('\n');
  for (const r of [...change.replacements].reverse()) {
    const g = r.deletedRegion;
    assert.equal(g.startLine, g.endLine, 'one-line edits');
    const l = lines[g.startLine! - 1];
    lines[g.startLine! - 1] = l.slice(0, g.startColumn! - 1) + (r.insertedContent?.text ?? '') + l.slice(g.endColumn! - 1);
  }
  const fixed = lines.join('\n');
  assert.match(fixed, /tile\[TILE\]\[TILE \+ 1\]|tile\[TILE\]\[33\]/);
  assert.deepEqual(engine.analyzeText(file, fixed).findings.filter((f) => f.rule === 'memory/shared-bank-conflict'), []);
});

test('results keep related locations, confidence and assumptions', () => {
  const log = toSarif(check([join(root, 'examples/elementwise_chain.cu')]), kb, '0.1.0', root);
  const chain = log.runs[0].results!.find((r) => r.ruleId === 'fusion/elementwise-chain')!;
  assert.ok(chain.relatedLocations?.length, 'the first launch of the pair is a related location');
  assert.equal(chain.relatedLocations![0].physicalLocation!.artifactLocation!.uri, 'examples/elementwise_chain.cu');
  assert.ok(['proven', 'likely', 'heuristic'].includes(chain.properties!.confidence as string));
  assert.ok(Array.isArray(chain.properties!.assumptions));
});
