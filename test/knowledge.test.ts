// The knowledge base: the bundled data loads clean, every rule is backed by resolvable
// papers and techniques, the validator catches each kind of damage, and every paper's
// bibliographic facts are found verbatim in the seed document it claims to come from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RULE_IDS } from '../server/src/core/ruleIds';
import {
  KnowledgeBase,
  KnowledgeError,
  evidenceLine,
  defaultKnowledge,
  explainRuleText,
  checkedInText,
  formatCitation,
  loadKnowledge,
  validateKnowledge,
  type Paper,
} from '../server/src/core/knowledge';

const repoRoot = join(__dirname, '..');
const knowledgeDir = join(repoRoot, 'knowledge');
const seedsDir = join(repoRoot, '..', 'shared', 'seeds');

interface Raw {
  papers: any[];
  techniques: any[];
  rules: any[];
}
function readRaw(): Raw {
  const read = (f: string) => JSON.parse(readFileSync(join(knowledgeDir, f), 'utf8'));
  return { papers: read('papers.json'), techniques: read('techniques.json'), rules: read('rules.json') };
}
const clone = (r: Raw): Raw => JSON.parse(JSON.stringify(r));
const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

test('the bundled knowledge base validates with no problems and loads', () => {
  assert.deepEqual(validateKnowledge(readRaw()), []);
  const kb = loadKnowledge(knowledgeDir);
  assert.ok(kb.papers.size >= 40, `only ${kb.papers.size} papers`);
  assert.ok(kb.techniques.size >= 15, `only ${kb.techniques.size} techniques`);
  assert.equal(defaultKnowledge(), defaultKnowledge(), 'defaultKnowledge() is cached');
  assert.equal(defaultKnowledge().papers.size, kb.papers.size);
});

test('no duplicate ids in any file', () => {
  const raw = readRaw();
  for (const part of ['papers', 'techniques', 'rules'] as const) {
    const ids = raw[part].map((e) => e.id);
    const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual(dupes, [], `duplicate ids in ${part}.json`);
  }
});

test('every rule id of ruleIds.ts has an entry with >= 2 resolvable papers and >= 1 technique', () => {
  const kb = loadKnowledge(knowledgeDir);
  assert.equal(kb.rules.size, RULE_IDS.length, 'rules.json has exactly one entry per rule id');
  for (const id of RULE_IDS) {
    const r = kb.rule(id);
    assert.ok(r, `no rules.json entry for ${id}`);
    assert.ok(r.papers.length >= 2, `${id} cites fewer than 2 papers`);
    for (const pid of r.papers) assert.ok(kb.paper(pid), `${id} cites unknown paper ${pid}`);
    assert.ok(r.techniques.length >= 1, `${id} has no technique`);
    for (const tid of r.techniques) assert.ok(kb.technique(tid), `${id} names unknown technique ${tid}`);
    const cites = kb.citationsFor(id);
    assert.equal(cites.length, r.papers.length);
    assert.equal(cites[0].id, r.papers[0], 'citationsFor puts the key citation first');
    assert.equal(kb.techniquesFor(id).length, r.techniques.length);
    assert.ok(cites.some((p) => p.url === r.docs), `${id}: docs is not the url of a cited paper`);
  }
  assert.deepEqual(kb.citationsFor('no/such-rule'), []);
});

test('every paper id cited by a technique or rule resolves', () => {
  const raw = readRaw();
  const ids = new Set(raw.papers.map((p) => p.id));
  for (const t of raw.techniques) {
    assert.ok(t.papers.length >= 1, `technique ${t.id} cites nothing`);
    for (const pid of t.papers) assert.ok(ids.has(pid), `technique ${t.id} cites unknown paper ${pid}`);
    for (const rid of t.rules) assert.ok((RULE_IDS as readonly string[]).includes(rid), `technique ${t.id}: unknown rule ${rid}`);
  }
  for (const r of raw.rules) for (const pid of r.papers) assert.ok(ids.has(pid), `rule ${r.id} cites unknown paper ${pid}`);
});

test('required fields are present and typed; years are plausible integers', () => {
  const raw = readRaw();
  const thisYear = new Date().getFullYear();
  for (const p of raw.papers as Paper[]) {
    for (const f of ['id', 'title', 'venue', 'url', 'source'] as const) {
      assert.equal(typeof p[f], 'string', `paper ${p.id}: ${f}`);
      assert.ok((p[f] as string).length > 0, `paper ${p.id}: empty ${f}`);
    }
    assert.match(p.url, /^https?:\/\//, `paper ${p.id}: url`);
    assert.ok(Array.isArray(p.authors) && p.authors.length > 0, `paper ${p.id}: authors`);
    for (const a of p.authors) assert.ok(typeof a === 'string' && a.trim() !== '', `paper ${p.id}: author entry`);
    if (p.kind === 'documentation' && p.year === undefined) continue;
    assert.ok(Number.isInteger(p.year), `paper ${p.id}: year must be an integer`);
    assert.ok(p.year! >= 1950 && p.year! <= thisYear, `paper ${p.id}: implausible year ${p.year}`);
    // The id convention: surname + year + title word (documentation has no year).
    assert.ok(p.id.includes(String(p.year)), `paper ${p.id}: id does not carry the year ${p.year}`);
  }
  for (const t of raw.techniques) {
    for (const f of ['id', 'name', 'summary', 'whenItHelps', 'whenItDoesNot']) {
      assert.ok(typeof t[f] === 'string' && t[f].length > 0, `technique ${t.id}: ${f}`);
    }
    assert.ok(Array.isArray(t.rules) && Array.isArray(t.papers), `technique ${t.id}: lists`);
  }
  for (const r of raw.rules) {
    for (const f of ['id', 'title', 'docs']) assert.ok(typeof r[f] === 'string' && r[f].length > 0, `rule ${r.id}: ${f}`);
  }
});

test('validateKnowledge reports each kind of damage', () => {
  const good = readRaw();
  assert.deepEqual(validateKnowledge(good), []);
  const expectProblem = (mutate: (r: Raw) => void, pattern: RegExp) => {
    const broken = clone(good);
    mutate(broken);
    const problems = validateKnowledge(broken);
    assert.ok(
      problems.some((p) => pattern.test(p)),
      `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`,
    );
  };
  // duplicate paper id
  expectProblem((r) => r.papers.push({ ...r.papers[0] }), /papers\.json has a duplicate id "[^"]+"/);
  // duplicate technique id
  expectProblem((r) => r.techniques.push({ ...r.techniques[0] }), /techniques\.json has a duplicate id/);
  // unresolved paper id in a rule and in a technique
  expectProblem((r) => r.rules[0].papers.push('nobody2099nothing'), /rules\.json .*cites the paper id "nobody2099nothing"/);
  expectProblem((r) => r.techniques[0].papers.push('nobody2099nothing'), /techniques\.json .*cites the paper id "nobody2099nothing"/);
  // unresolved technique id
  expectProblem((r) => r.rules[0].techniques.push('no-such-technique'), /names the technique id "no-such-technique"/);
  // a rule with one paper
  expectProblem((r) => (r.rules[1].papers = r.rules[1].papers.slice(0, 1)), /cites 1 paper\(s\); every rule must cite at least 2/);
  // missing title
  expectProblem((r) => delete r.papers[2].title, /papers\.json entry #3 \("[^"]+"\) is missing the field "title"/);
  // ill-typed year
  expectProblem((r) => (r.papers[0].year = '2022'), /field "year" must be an integer year/);
  // missing year on a non-documentation paper
  expectProblem((r) => delete r.papers[0].year, /is missing the field "year"/);
  // unknown rule id, and a rule id with no entry
  expectProblem((r) => (r.rules[0].id = 'fusion/made-up'), /"fusion\/made-up"\) is not a rule id/);
  expectProblem((r) => r.rules.pop(), /has no entry for the rule id "precision\/tensor-core-eligible"/);
  // unknown rule id in a technique
  expectProblem((r) => r.techniques[0].rules.push('made/up'), /lists an unknown rule id "made\/up"/);
  // not an array
  expectProblem((r) => ((r as any).papers = { oops: true }), /papers\.json must hold a JSON array/);
  // unknown source file and a misspelt field
  expectProblem((r) => (r.papers[0].source = 'somewhere.md'), /field "source" must be one of the seed files/);
  expectProblem((r) => (r.papers[0].yaer = 2020), /unknown field "yaer"/);
  // docs link that belongs to no cited paper
  expectProblem((r) => (r.rules[0].docs = 'https://example.com/elsewhere'), /"docs" must be the url of one of the papers/);
});

test('loadKnowledge throws KnowledgeError naming the damaged file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ka-knowledge-'));
  try {
    for (const f of ['papers.json', 'techniques.json', 'rules.json']) {
      writeFileSync(join(dir, f), readFileSync(join(knowledgeDir, f)));
    }
    writeFileSync(join(dir, 'papers.json'), '[{"id": ');
    assert.throws(
      () => loadKnowledge(dir),
      (e: unknown) => e instanceof KnowledgeError && /knowledge\/papers\.json is not valid JSON/.test(e.message),
    );
    rmSync(join(dir, 'rules.json'));
    assert.throws(
      () => loadKnowledge(dir),
      (e: unknown) => e instanceof KnowledgeError && /knowledge\/rules\.json could not be read/.test(e.message),
    );
    const raw = readRaw();
    raw.rules[0].papers = [raw.rules[0].papers[0]];
    writeFileSync(join(dir, 'papers.json'), JSON.stringify(raw.papers));
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(raw.rules));
    assert.throws(
      () => loadKnowledge(dir),
      (e: unknown) => e instanceof KnowledgeError && e.problems.length === 1 && /at least 2/.test(e.problems[0]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('formatCitation and explainRuleText', () => {
  const kb = loadKnowledge(knowledgeDir);
  assert.equal(
    formatCitation(kb.paper('dao2022flashattention')!),
    'Dao et al., "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness", Advances in Neural Information Processing Systems 2022',
  );
  assert.match(formatCitation(kb.paper('wahib2014scalable')!), /^Wahib and Maruyama, "Scalable kernel fusion/);
  assert.match(formatCitation(kb.paper('dao2023flashattention2')!), /^Dao, "FlashAttention-2/);
  assert.match(formatCitation(kb.paper('welford1962note')!), /^Welford, ".*", Technometrics 1962$/);
  assert.match(formatCitation(kb.paper('ashari2015optimizing')!), /^Ashari et al\., ".*PPoPP 2015$/);
  // an organisation that is also the venue is named once; a venue that states the year gets no second one
  assert.equal(formatCitation(kb.paper('nvidia-cuda-best-practices')!), '"CUDA C++ Best Practices Guide", NVIDIA documentation');
  assert.match(formatCitation(kb.paper('alur2017gpudrano')!), /, Computer Aided Verification \(CAV 2017\)$/);
  assert.match(formatCitation(kb.paper('wahib2014scalable')!), /SC’14: .*Analysis$/);
  assert.match(formatCitation(kb.paper('chen2018tvm')!), /\(OSDI 18\)$/);
  assert.match(formatCitation(kb.paper('goto2008anatomy')!), /^Goto and van de Geijn, /);
  assert.equal(
    formatCitation(kb.paper('welford1962note')!, 'markdown'),
    'Welford, [Note on a Method for Calculating Corrected Sums of Squares and Products](https://doi.org/10.1080/00401706.1962.10490022), Technometrics 1962',
  );
  for (const p of kb.papers.values()) {
    for (const c of [formatCitation(p), formatCitation(p, 'markdown')]) {
      assert.doesNotMatch(c, /undefined|null/);
      if (p.year !== undefined) assert.ok(c.replace(/\]\([^)]*\)/, ']').split(String(p.year)).length <= 2, `${p.id}: the year once: ${c}`);
    }
  }


  const text = explainRuleText(kb, 'fusion/elementwise-chain');
  assert.match(text, /^fusion\/elementwise-chain: /);
  assert.match(text, /Technique: Elementwise kernel fusion/);
  assert.match(text, /When it helps: /);
  assert.match(text, /When it does not: /);
  assert.match(text, /Measured: .*1\.764 → 0\.958 ms, 1\.84×/);
  assert.match(text, /\[1\] Wahib and Maruyama/);
  assert.ok(text.includes('https://dl.acm.org/doi/10.1109/SC.2014.21'));
  for (const id of RULE_IDS) {
    const t = explainRuleText(kb, id);
    for (const p of kb.citationsFor(id)) assert.ok(t.includes(p.url), `${id}: explain text lacks ${p.url}`);
  }
  assert.throws(() => explainRuleText(kb, 'no/such-rule'), /Unknown rule id "no\/such-rule"/);
  // the languages a rule has a check in, and the ones it has none in
  assert.match(explainRuleText(kb, 'vectorization/packed-half', ['cuda']), /^vectorization\/packed-half: .*\nChecked in CUDA; no check yet in C\/C\+\+ and Triton\.\n/);
  assert.match(explainRuleText(kb, 'fusion/gemm-epilogue', ['triton', 'cuda', 'cpp']), /\nChecked in CUDA, C\/C\+\+ and Triton\.\n/);
  assert.equal(checkedInText([]), 'No check yet in any language (knowledge only).');
  const json = kb.toJSON();
  assert.equal(json.papers.length, kb.papers.size);
  assert.equal(json.rules.length, RULE_IDS.length);
  assert.deepEqual(JSON.parse(JSON.stringify(json)).rules[0].papers, kb.rule(json.rules[0].id)!.papers);
});

test('credibility: each paper\'s title, url, venue and year are in its seed document', (t) => {
  if (!existsSync(seedsDir)) {
    t.skip(`seeds not found at ${seedsDir}; the bibliographic facts cannot be checked against them here`);
    return;
  }
  const kb = loadKnowledge(knowledgeDir);
  const cache = new Map<string, string>();
  const seed = (file: string) => {
    if (!cache.has(file)) cache.set(file, collapse(readFileSync(join(seedsDir, file), 'utf8')));
    return cache.get(file)!;
  };
  const failures: string[] = [];
  for (const p of kb.papers.values()) {
    if (!p.source) continue;
    if (!existsSync(join(seedsDir, p.source))) {
      failures.push(`${p.id}: seed file ${p.source} does not exist`);
      continue;
    }
    const text = seed(p.source);
    const title = collapse(p.title);
    if (!text.includes(title)) failures.push(`${p.id}: title not found verbatim in ${p.source}`);
    if (!text.includes(p.url)) failures.push(`${p.id}: url ${p.url} not found in ${p.source}`);
    if (!text.includes(collapse(p.venue))) failures.push(`${p.id}: venue "${p.venue}" not found in ${p.source}`);
    for (const a of p.authors) if (!text.includes(collapse(a))) failures.push(`${p.id}: author "${a}" not found in ${p.source}`);
    if (p.year !== undefined) {
      let near = false;
      for (let i = text.indexOf(title); i >= 0 && !near; i = text.indexOf(title, i + 1)) {
        near = text.slice(Math.max(0, i - 600), i + title.length + 600).includes(String(p.year));
      }
      if (!near) failures.push(`${p.id}: year ${p.year} does not appear within 600 characters of the title in ${p.source}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('evidence records: validated, shown newest first, a fix that does not pay said so', () => {
  const raw = readRaw();
  const record = {
    rule: 'vectorization/vector-memory-access', gpu: 'NVIDIA H200', workload: 'y = 2x, 2^28 fp32', beforeMs: 1.6, fixMs: 1.0, handMs: 1.0,
    speedup: 1.6, fixOfCeiling: 1.01, handOfCeiling: 1.0, ceiling: 'device-to-device copy 4215 GB/s', checked: 'equal to the before kernel\'s', date: '2026-11-30', bench: 'bench/gpu/vector',
  };
  assert.deepEqual(validateKnowledge({ ...raw, evidence: [record] }), []);
  assert.match(validateKnowledge({ ...raw, evidence: [{ ...record, rule: 'vector/nope' }] }).join('\n'), /unknown rule id "vector\/nope"/);
  assert.match(validateKnowledge({ ...raw, evidence: [{ ...record, speedup: -1 }] }).join('\n'), /"speedup" must be a positive number/);
  assert.match(evidenceLine(record), /^Measured on NVIDIA H200: 1\.60× \(y = 2x, 2\^28 fp32\), 101% of device-to-device copy 4215 GB\/s, hand-written 100%/);
  assert.match(evidenceLine({ ...record, speedup: 0.97 }), /no gain \(0\.97×\)/);
  const kb = new KnowledgeBase({ ...raw, evidence: [record, { ...record, date: '2026-12-01', speedup: 1.7 }] });
  assert.equal(kb.evidenceFor('vectorization/vector-memory-access')[0].date, '2026-12-01');
  assert.match(explainRuleText(kb, 'vectorization/vector-memory-access'), /The fix, measured[^\n]*\n  Measured on NVIDIA H200: 1\.70×/);
});
