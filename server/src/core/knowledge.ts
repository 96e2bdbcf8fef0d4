// The bundled knowledge base: papers, techniques and the rule -> citation map, read from
// knowledge/*.json, validated once at load into typed maps. No LSP or VS Code imports:
// the CLI (`explain`, `knowledge`), the server (hovers, codeDescription) and the tests
// all use this module.
import type { SourceLanguage } from './types';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetRoot } from './assets';
import { RULE_IDS } from './ruleIds';

export type PaperKind = 'paper' | 'documentation' | 'blog';

export interface Paper {
  /** firstauthorlastname + year + first significant title word, e.g. "dao2022flashattention". */
  id: string;
  title: string;
  authors: string[];
  venue: string;
  /** Publication year; absent only for living documentation (kind "documentation"). */
  year?: number;
  url: string;
  arxiv?: string;
  doi?: string;
  code?: string;
  /** The seed document (../shared/seeds/<file>) the bibliographic facts were copied from. */
  source: string;
  kind?: PaperKind;
}

export interface Technique {
  id: string;
  name: string;
  summary: string;
  whenItHelps: string;
  whenItDoesNot: string;
  /** A measured example (GPU-FACTS.md), with its numbers; absent when nothing was measured. */
  measured?: string;
  rules: string[];
  papers: string[];
}

export interface RuleEntry {
  id: string;
  title: string;
  techniques: string[];
  /** Paper ids, key citation first; at least two. */
  papers: string[];
  /** URL of the key paper or documentation (used as the diagnostic's codeDescription). */
  docs: string;
}

/**
 * A rule's fix measured on a GPU (bench/gpu/): the kernel the fix writes against the
 * kernel before it and a hand-written reference, in one run, outputs checked.
 */
export interface Evidence {
  rule: string;
  gpu: string;
  /** What ran: the operation, its size and data type ("y = 2x, 2^28 fp32"). */
  workload: string;
  beforeMs: number;
  fixMs: number;
  handMs?: number;
  /** beforeMs / fixMs. */
  speedup: number;
  /** The fix's kernel as a fraction of the ceiling measured in the same run. */
  fixOfCeiling: number;
  handOfCeiling?: number;
  /** The ceiling, named with its value ("device-to-device copy 4215 GB/s"). */
  ceiling: string;
  /** How the outputs were checked ("equal to the before kernel's", "max relative error 2e-6"). */
  checked: string;
  date: string;
  /** The harness folder (bench/gpu/<pair>). */
  bench: string;
}

export interface KnowledgeJSON {
  papers: Paper[];
  techniques: Technique[];
  rules: RuleEntry[];
  evidence: Evidence[];
}

/** The seed documents a paper may come from (see ../shared/seeds/README.md). */
export const SEED_FILES: readonly string[] = [
  'computation-optimizations.md',
  'awesome-efficient-ai.md',
  'aussieai-parallelization.txt',
  'aussieai-kernel-fusion.txt',
  'daily-papers.txt',
  'external-references.md',
];

const PAPER_KINDS: readonly PaperKind[] = ['paper', 'documentation', 'blog'];
const FILES = { papers: 'papers.json', techniques: 'techniques.json', rules: 'rules.json', evidence: 'evidence.json' } as const;
type Part = keyof typeof FILES;
const label = (part: Part) => `knowledge/${FILES[part]}`;

export class KnowledgeError extends Error {
  readonly problems: string[];
  constructor(problems: string[], dir?: string) {
    const where = dir ? ` (${dir})` : '';
    super(
      `Kernel Advisor's knowledge base${where} is damaged; reinstall the package or fix these problems:\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'KnowledgeError';
    this.problems = problems;
  }
}

export class KnowledgeBase {
  readonly papers = new Map<string, Paper>();
  readonly techniques = new Map<string, Technique>();
  readonly rules = new Map<string, RuleEntry>();
  readonly evidence: Evidence[];

  /** Expects data that passed validateKnowledge(); use loadKnowledge() to get one. */
  constructor(data: KnowledgeJSON) {
    for (const p of data.papers) this.papers.set(p.id, p);
    for (const t of data.techniques) this.techniques.set(t.id, t);
    for (const r of data.rules) this.rules.set(r.id, r);
    this.evidence = data.evidence ?? [];
  }

  /** The measurements of a rule's fix, newest first. */
  evidenceFor(ruleId: string): Evidence[] {
    return this.evidence.filter((e) => e.rule === ruleId).sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
  }

  paper(id: string): Paper | undefined {
    return this.papers.get(id);
  }
  technique(id: string): Technique | undefined {
    return this.techniques.get(id);
  }
  rule(id: string): RuleEntry | undefined {
    return this.rules.get(id);
  }

  /** The papers a rule cites, key citation first; [] for an unknown rule. */
  citationsFor(ruleId: string): Paper[] {
    const r = this.rules.get(ruleId);
    if (!r) return [];
    return r.papers.map((id) => this.papers.get(id)).filter((p): p is Paper => p !== undefined);
  }

  /** The techniques behind a rule, in the rule entry's order; [] for an unknown rule. */
  techniquesFor(ruleId: string): Technique[] {
    const r = this.rules.get(ruleId);
    if (!r) return [];
    return r.techniques.map((id) => this.techniques.get(id)).filter((t): t is Technique => t !== undefined);
  }

  toJSON(): KnowledgeJSON {
    return {
      papers: [...this.papers.values()],
      techniques: [...this.techniques.values()],
      rules: [...this.rules.values()],
      evidence: this.evidence,
    };
  }
}

// ---------------------------------------------------------------------------------------
// Validation

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const isUrl = (v: unknown): v is string => typeof v === 'string' && /^https?:\/\/\S+$/.test(v);
const ID_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const describe = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `a ${typeof v}`;

interface FieldSpec {
  required: boolean;
  check: (v: unknown) => boolean;
  expect: string;
}
const str = (required: boolean): FieldSpec => ({ required, check: isNonEmptyString, expect: 'a non-empty string' });
const url = (required: boolean): FieldSpec => ({ required, check: isUrl, expect: 'an http(s) URL' });
const idList = (required: boolean): FieldSpec => ({
  required,
  check: (v) => Array.isArray(v) && v.every(isNonEmptyString),
  expect: 'an array of id strings',
});

const PAPER_FIELDS: Record<string, FieldSpec> = {
  id: str(true),
  title: str(true),
  authors: {
    required: true,
    check: (v) => Array.isArray(v) && v.length > 0 && v.every(isNonEmptyString),
    expect: 'a non-empty array of author names',
  },
  venue: str(true),
  year: {
    required: false, // required below unless kind is "documentation"
    check: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1900 && v <= new Date().getFullYear() + 1,
    expect: `an integer year between 1900 and ${new Date().getFullYear() + 1}`,
  },
  url: url(true),
  arxiv: { required: false, check: (v) => typeof v === 'string' && /^\d{4}\.\d{4,5}$/.test(v), expect: 'an arXiv id like "2205.14135"' },
  doi: { required: false, check: (v) => typeof v === 'string' && /^10\.\d{4,9}\/\S+$/.test(v), expect: 'a DOI like "10.1145/3453483.3454083"' },
  code: url(false),
  source: {
    required: true,
    check: (v) => typeof v === 'string' && SEED_FILES.includes(v),
    expect: `one of the seed files ${SEED_FILES.join(', ')}`,
  },
  kind: { required: false, check: (v) => typeof v === 'string' && (PAPER_KINDS as readonly string[]).includes(v), expect: `one of ${PAPER_KINDS.join(', ')}` },
};

const TECHNIQUE_FIELDS: Record<string, FieldSpec> = {
  id: str(true),
  name: str(true),
  summary: str(true),
  whenItHelps: str(true),
  whenItDoesNot: str(true),
  measured: str(false),
  rules: idList(true),
  papers: idList(true),
};

const num = (required: boolean): FieldSpec => ({ required, check: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, expect: 'a positive number' });
const EVIDENCE_FIELDS: Record<string, FieldSpec> = {
  rule: str(true),
  gpu: str(true),
  workload: str(true),
  beforeMs: num(true),
  fixMs: num(true),
  handMs: num(false),
  speedup: num(true),
  fixOfCeiling: num(true),
  handOfCeiling: num(false),
  ceiling: str(true),
  checked: str(true),
  date: { required: true, check: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v), expect: 'a date like "2026-11-30"' },
  bench: { required: true, check: (v) => typeof v === 'string' && /^bench\/gpu\/[\w-]+$/.test(v), expect: 'a harness folder like "bench/gpu/vector"' },
};

const RULE_FIELDS: Record<string, FieldSpec> = {
  id: str(true),
  title: str(true),
  techniques: idList(true),
  papers: idList(true),
  docs: url(true),
};

/** Checks one entry's fields; returns the entry's display name for later messages. */
function checkFields(part: Part, entry: unknown, index: number, spec: Record<string, FieldSpec>, problems: string[]): string | null {
  if (!isObj(entry)) {
    problems.push(`${label(part)} entry #${index + 1} is ${describe(entry)}, not an object.`);
    return null;
  }
  const name = isNonEmptyString(entry.id) ? `entry #${index + 1} ("${entry.id}")` : `entry #${index + 1}`;
  for (const [field, f] of Object.entries(spec)) {
    const v = entry[field];
    if (v === undefined) {
      if (f.required) problems.push(`${label(part)} ${name} is missing the field "${field}" (${f.expect}).`);
    } else if (!f.check(v)) {
      problems.push(`${label(part)} ${name}: field "${field}" must be ${f.expect}, but is ${describe(v)}.`);
    }
  }
  for (const field of Object.keys(entry)) {
    if (!(field in spec)) problems.push(`${label(part)} ${name} has an unknown field "${field}".`);
  }
  // Rule ids ("fusion/attention") are checked against ruleIds.ts instead.
  if (part !== 'rules' && isNonEmptyString(entry.id) && !ID_RE.test(entry.id)) {
    problems.push(`${label(part)} ${name}: id must be lowercase letters, digits and single dashes.`);
  }
  return name;
}

function checkDuplicates(part: Part, entries: unknown[], problems: string[]): void {
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    if (!isObj(e) || typeof e.id !== 'string') return;
    const first = seen.get(e.id);
    if (first !== undefined) problems.push(`${label(part)} has a duplicate id "${e.id}" (entries #${first + 1} and #${i + 1}).`);
    else seen.set(e.id, i);
  });
}

function ids(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Validates the three raw (parsed JSON) parts of the knowledge base. Returns every
 * problem as a sentence naming the file and entry; [] means the base is sound.
 */
export function validateKnowledge(raw: { papers: unknown; techniques: unknown; rules: unknown; evidence?: unknown }): string[] {
  const problems: string[] = [];
  const arrays: Partial<Record<Part, unknown[]>> = {};
  for (const part of Object.keys(FILES) as Part[]) {
    const v = part === 'evidence' ? (raw.evidence ?? []) : raw[part];
    if (!Array.isArray(v)) problems.push(`${label(part)} must hold a JSON array, but holds ${describe(v)}.`);
    else arrays[part] = v;
  }
  const papers = arrays.papers ?? [];
  const techniques = arrays.techniques ?? [];
  const rules = arrays.rules ?? [];

  // Papers
  const paperUrls = new Map<string, string>();
  papers.forEach((p, i) => {
    const name = checkFields('papers', p, i, PAPER_FIELDS, problems);
    if (!name || !isObj(p)) return;
    if (p.year === undefined && p.kind !== 'documentation') {
      problems.push(`${label('papers')} ${name} is missing the field "year" (only kind "documentation" may omit it).`);
    }
    if (typeof p.id === 'string' && typeof p.url === 'string') paperUrls.set(p.id, p.url);
  });
  checkDuplicates('papers', papers, problems);
  const paperIds = new Set(papers.filter(isObj).map((p) => p.id).filter((x): x is string => typeof x === 'string'));

  // Techniques
  const ruleIds = new Set<string>(RULE_IDS);
  const techniqueRules = new Map<string, string[]>();
  techniques.forEach((t, i) => {
    const name = checkFields('techniques', t, i, TECHNIQUE_FIELDS, problems);
    if (!name || !isObj(t)) return;
    for (const r of ids(t.rules)) {
      if (!ruleIds.has(r)) problems.push(`${label('techniques')} ${name} lists an unknown rule id "${r}".`);
    }
    const cited = ids(t.papers);
    if (Array.isArray(t.papers) && cited.length === 0) problems.push(`${label('techniques')} ${name} cites no papers.`);
    for (const pid of cited) {
      if (!paperIds.has(pid)) problems.push(`${label('techniques')} ${name} cites the paper id "${pid}", which is not in ${label('papers')}.`);
    }
    if (typeof t.id === 'string') techniqueRules.set(t.id, ids(t.rules));
  });
  checkDuplicates('techniques', techniques, problems);

  // Rules
  const covered = new Set<string>();
  rules.forEach((r, i) => {
    const name = checkFields('rules', r, i, RULE_FIELDS, problems);
    if (!name || !isObj(r)) return;
    if (typeof r.id === 'string') {
      covered.add(r.id);
      if (!ruleIds.has(r.id)) problems.push(`${label('rules')} ${name} is not a rule id of server/src/core/ruleIds.ts.`);
    }
    const cited = ids(r.papers);
    if (Array.isArray(r.papers)) {
      if (cited.length < 2) problems.push(`${label('rules')} ${name} cites ${cited.length} paper(s); every rule must cite at least 2.`);
      if (new Set(cited).size !== cited.length) problems.push(`${label('rules')} ${name} cites the same paper more than once.`);
    }
    for (const pid of cited) {
      if (!paperIds.has(pid)) problems.push(`${label('rules')} ${name} cites the paper id "${pid}", which is not in ${label('papers')}.`);
    }
    const techs = ids(r.techniques);
    if (Array.isArray(r.techniques) && techs.length === 0) problems.push(`${label('rules')} ${name} names no technique.`);
    for (const tid of techs) {
      const backs = techniqueRules.get(tid);
      if (!backs) problems.push(`${label('rules')} ${name} names the technique id "${tid}", which is not in ${label('techniques')}.`);
      else if (typeof r.id === 'string' && !backs.includes(r.id)) {
        problems.push(`${label('rules')} ${name} names the technique "${tid}", but that technique's "rules" does not list "${r.id}".`);
      }
    }
    if (isUrl(r.docs) && cited.length > 0 && !cited.some((pid) => paperUrls.get(pid) === r.docs)) {
      problems.push(`${label('rules')} ${name}: "docs" must be the url of one of the papers the rule cites.`);
    }
  });
  checkDuplicates('rules', rules, problems);
  (arrays.evidence ?? []).forEach((e, i) => {
    const name = checkFields('evidence', e, i, EVIDENCE_FIELDS, problems);
    if (name && isObj(e) && typeof e.rule === 'string' && !ruleIds.has(e.rule)) problems.push(`${label('evidence')} ${name} names an unknown rule id "${e.rule}".`);
  });
  for (const id of RULE_IDS) {
    if (!covered.has(id)) problems.push(`${label('rules')} has no entry for the rule id "${id}".`);
  }
  // Every technique that claims to back a rule must be named by that rule.
  for (const [tid, backs] of techniqueRules) {
    for (const rid of backs) {
      const entry = rules.find((r) => isObj(r) && r.id === rid);
      if (isObj(entry) && !ids(entry.techniques).includes(tid)) {
        problems.push(`${label('techniques')} entry "${tid}" lists the rule "${rid}", but ${label('rules')} entry "${rid}" does not name it.`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// Loading

/** Reads and validates knowledge/{papers,techniques,rules,evidence}.json (evidence may be absent); throws KnowledgeError if damaged. */
export function loadKnowledge(dir: string = join(assetRoot(), 'knowledge')): KnowledgeBase {
  const problems: string[] = [];
  const raw: Record<Part, unknown> = { papers: undefined, techniques: undefined, rules: undefined, evidence: undefined };
  for (const part of Object.keys(FILES) as Part[]) {
    let text: string;
    try {
      text = readFileSync(join(dir, FILES[part]), 'utf8');
    } catch (e) {
      if (part === 'evidence' && (e as NodeJS.ErrnoException).code === 'ENOENT') continue; // nothing measured yet
      problems.push(`${label(part)} could not be read: ${(e as Error).message}`);
      continue;
    }
    try {
      raw[part] = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (e) {
      problems.push(`${label(part)} is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (problems.length > 0) throw new KnowledgeError(problems, dir);
  problems.push(...validateKnowledge(raw));
  if (problems.length > 0) throw new KnowledgeError(problems, dir);
  return new KnowledgeBase(raw as unknown as KnowledgeJSON);
}

let cachedDefault: KnowledgeBase | undefined;

/** The bundled knowledge base, loaded once. Throws KnowledgeError if it is damaged. */
/** The bundled knowledge base (or the folder named by KERNEL_ADVISOR_KNOWLEDGE, for trying out edits to it). */
export function defaultKnowledge(): KnowledgeBase {
  return (cachedDefault ??= loadKnowledge(process.env.KERNEL_ADVISOR_KNOWLEDGE || undefined));
}

// ---------------------------------------------------------------------------------------
// Formatting

/** "Dao", "Ashari" (from "Ashari, A."), "Hsu" (from "Byron (Pin-Lun)Hsu"), "van de Geijn", "NVIDIA". */
function surname(author: string): string {
  const a = author.trim();
  if (a.includes(',')) return a.slice(0, a.indexOf(',')).trim();
  const words = a.replace(/\([^)]*\)/g, ' ').trim().split(/\s+/);
  // "Robert A. van de Geijn" -> "van de Geijn": lowercase particles belong to the surname
  let i = words.length - 1;
  while (i > 1 && /^(van|von|de|der|den|da|di|du|del|della|le|la)$/.test(words[i - 1])) i--;
  return words.slice(i).join(' ') || a;
}

/** Markdown specials in a title, escaped so `*`, `_` or brackets print as themselves inside a link. */
const escapeMarkdown = (t: string) => t.replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);

/** The venue with the year, unless the venue already says it ("CAV 2017", "SC’14", "(OSDI 18)"). */
function venueAndYear(p: Paper): string {
  if (p.year === undefined) return p.venue;
  const yy = String(p.year % 100).padStart(2, '0');
  const said = new RegExp(`\\b${p.year}\\b|['’]${yy}\\b|\\b[A-Z]{2,} ${yy}\\b`).test(p.venue);
  return said ? p.venue : `${p.venue} ${p.year}`;
}

/** A citation line's length budget in its `short` form (about one line of a hover). */
const SHORT_CITATION = 90;

/** `text` cut at a word so that it has at most `max` characters, "…" included. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const at = text.lastIndexOf(' ', max - 1);
  return `${text.slice(0, at > 0 ? at : max - 1).replace(/[\s,:;]+$/, '')}…`;
}

/**
 * The venue of a one-line citation in at most `max` characters, with the year once: its
 * acronym where the venue names one (`CAV 2017`, `SC 2014`, `OSDI 2018`, `IPDPS 2023`,
 * `PPoPP 2015`), else the venue without "Proceedings of the", edition and second conference.
 */
function shortVenue(p: Paper, max: number): string {
  const v = p.venue.trim();
  const acronym =
    /\(([A-Z][A-Za-z]*[A-Z](?: [A-Z]+)*)(?: ['’]?\d{2,4})?\)$/.exec(v)?.[1] ?? // "… (CAV 2017)", "… (OSDI 18)", "… (IPDPS)"
    /^(?:\d{4} )?([A-Z][A-Za-z]*[A-Z])\s?['’]?\d{0,4}(?::|$)/.exec(v)?.[1] ?? // "SC’14: …", "SC '08: …", "PLDI 2021: …", "ASPLOS ’23"
    / ([A-Z][a-z]*[A-Z][A-Za-z]*) \d{4}$/.exec(v)?.[1]; // "… PPoPP 2015"
  const name = acronym ?? v.replace(/^Proceedings of (the )?/i, '').replace(/^(\d{4} )?(\d+(st|nd|rd|th) )?/, '').replace(/, Volume \d+$/, '').split(/ & |: /)[0];
  const year = p.year === undefined ? '' : ` ${p.year}`;
  return cut(name, max - year.length) + year;
}

/**
 * The one citation formatter (CLI, explain, hovers): `Dao et al., "FlashAttention: ...",
 * Advances in Neural Information Processing Systems 2022`. An organisation that is also
 * the venue is named once (`"CUDA C++ Best Practices Guide", NVIDIA documentation`).
 * `markdown` links the title to the paper. `short` (a hover's line) leaves out the authors
 * and shortens the venue (`SC 2014`), and the title to what precedes its colon where the
 * line would be longer than about 90 characters: `[FlashAttention](…), Advances in Neural
 * Information Processing Systems 2022`.
 */
export function formatCitation(p: Paper, format: 'text' | 'markdown' = 'text', opts: { short?: boolean } = {}): string {
  if (opts.short) {
    // the whole title where it fits, else what precedes its colon, else the venue shortened, else the title cut
    let where = shortVenue(p, 56);
    let title = p.title;
    if (title.length + where.length + 2 > SHORT_CITATION) {
      const main = /^(.{4,}?): /.exec(title)?.[1];
      if (main && main.length + where.length + 2 <= SHORT_CITATION) title = main;
      else {
        where = shortVenue(p, Math.max(SHORT_CITATION - title.length - 2, 24));
        title = cut(title, SHORT_CITATION - where.length - 2);
      }
    }
    return `${format === 'markdown' ? `[${escapeMarkdown(title)}](${p.url})` : `"${title}"`}, ${where}`;
  }
  const people = p.authors.filter((a) => !/^et al\.?$/i.test(a.trim()));
  const etAl = people.length !== p.authors.length;
  let who: string;
  if (people.length === 0) who = 'Anonymous';
  else if (people.length === 1) who = surname(people[0]) + (etAl ? ' et al.' : '');
  else if (people.length === 2 && !etAl) who = `${surname(people[0])} and ${surname(people[1])}`;
  else who = `${surname(people[0])} et al.`;
  const where = venueAndYear(p);
  const title = format === 'markdown' ? `[${escapeMarkdown(p.title)}](${p.url})` : `"${p.title}"`;
  if (people.length === 1 && !etAl && where.startsWith(`${who} `)) return `${title}, ${where}`;
  return `${who}, ${title}, ${where}`;
}

/** Plain text for `kernel-advisor explain <rule id>`. Throws for an unknown rule id. */
const LANGUAGE_NAMES: Record<SourceLanguage, string> = { cuda: 'CUDA', cpp: 'C/C++', triton: 'Triton' };

/** "Checked in CUDA and Triton; no check yet in C/C++." for the languages a rule has a check in. */
export function checkedInText(languages: readonly SourceLanguage[]): string {
  const all = Object.keys(LANGUAGE_NAMES) as SourceLanguage[];
  const names = (ls: readonly SourceLanguage[]) => {
    const n = all.filter((l) => ls.includes(l)).map((l) => LANGUAGE_NAMES[l]);
    return n.length > 1 ? `${n.slice(0, -1).join(', ')} and ${n[n.length - 1]}` : n.join('');
  };
  const missing = all.filter((l) => !languages.includes(l));
  if (languages.length === 0) return 'No check yet in any language (knowledge only).';
  return `Checked in ${names(languages)}${missing.length ? `; no check yet in ${names(missing)}` : ''}.`;
}

/** The text of `kernel-advisor explain`: techniques, measurements, papers; `checkedIn` names the languages the rule has a check in. */
export function explainRuleText(kb: KnowledgeBase, ruleId: string, checkedIn?: readonly SourceLanguage[]): string {
  const rule = kb.rule(ruleId);
  if (!rule) {
    throw new Error(`Unknown rule id "${ruleId}". Known rule ids: ${[...kb.rules.keys()].join(', ')}.`);
  }
  const out: string[] = [`${rule.id}: ${rule.title}`, ...(checkedIn ? [checkedInText(checkedIn)] : []), ''];
  for (const t of kb.techniquesFor(ruleId)) {
    out.push(`Technique: ${t.name}`);
    out.push(`  ${t.summary}`);
    out.push(`  When it helps: ${t.whenItHelps}`);
    out.push(`  When it does not: ${t.whenItDoesNot}`);
    out.push(`  Measured: ${t.measured ?? 'no measurement of our own; the benefit depends on the kernel and the GPU.'}`);
    out.push('');
  }
  const measured = kb.evidenceFor(ruleId);
  if (measured.length) {
    out.push('The fix, measured (the kernel it writes, same run as the kernel before it and a hand-written one):');
    for (const e of measured) out.push(`  ${evidenceLine(e)}`);
    out.push('');
  }
  out.push('Papers (key citation first):');
  kb.citationsFor(ruleId).forEach((p, i) => {
    out.push(`  [${i + 1}] ${formatCitation(p)}`);
    out.push(`      ${p.url}`);
  });
  out.push('', `More: ${rule.docs}`);
  return out.join('\n') + '\n';
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
/** "Measured on NVIDIA H200: 1.61× (y = 2x, 2^28 fp32): 101% of device-to-device copy 4215 GB/s, hand-written 101%; bench/gpu/vector, 2026-11-30". */
export function evidenceLine(e: Evidence): string {
  const verdict = e.speedup < 1.02 ? `no gain (${e.speedup.toFixed(2)}×)` : `${e.speedup.toFixed(2)}×`;
  const hand = e.handOfCeiling !== undefined ? `, hand-written ${pct(e.handOfCeiling)}` : '';
  return `Measured on ${e.gpu}: ${verdict} (${e.workload}), ${pct(e.fixOfCeiling)} of ${e.ceiling}${hand}; outputs ${e.checked}; ${e.bench}, ${e.date}`;
}

/** The hover's few words: "1.59× on H200 (y = 2x, 2^28 fp32)", the workload's notes without a number left out. */
export function evidenceBrief(e: Evidence): string {
  const verdict = e.speedup < 1.02 ? `no gain (${e.speedup.toFixed(2)}×)` : `${e.speedup.toFixed(2)}×`;
  const workload = e.workload.split(', ').filter((part, i) => i === 0 || /\d/.test(part)).join(', ');
  return `${verdict} on ${e.gpu.replace(/^NVIDIA /, '')} (${workload})`;
}
