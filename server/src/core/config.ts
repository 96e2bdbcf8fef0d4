// The one definition of Kernel Advisor's settings: defaults, validation with clear
// messages, and the JSON schema that package.json's `contributes.configuration` must
// match (a test compares them). Used by the CLI (.kernel-advisor.json) and the server
// (VS Code settings + .kernel-advisor.json).
import { RULE_IDS, isRuleId, type RuleId } from './ruleIds';
import { SEVERITIES, type Severity } from './types';
import { readRegularFile, stripBom } from './files';

export type RuleSetting = 'off' | Severity;
export const RULE_SETTINGS: readonly RuleSetting[] = ['off', ...SEVERITIES];
export type LanguageSetting = 'cuda' | 'cpp' | 'c' | 'triton';
export const LANGUAGE_SETTINGS: readonly LanguageSetting[] = ['cuda', 'cpp', 'c', 'triton'];

export interface Config {
  rules: Partial<Record<RuleId, RuleSetting>>;
  languages: LanguageSetting[];
  maxFileSizeKb: number;
  /** Extra header directories (besides `-I` of a compile_commands.json at the workspace root). */
  includePaths: string[];
  /** Milliseconds one function's analysis may take before it is listed as skipped (default 200 in the editor, 1000 on the command line: core/budget.ts). */
  functionBudgetMs?: number;
  /** Milliseconds one file's analysis may take; the functions left are listed as skipped (default 2000 in the editor, 10000 on the command line). */
  fileBudgetMs?: number;
}

export const DEFAULT_CONFIG: Config = { rules: {}, languages: [...LANGUAGE_SETTINGS], maxFileSizeKb: 1024, includePaths: [] };

/** JSON schema of each setting under `kernelAdvisor.` (package.json is checked against it). */
export const SETTINGS_SCHEMA = {
  'kernelAdvisor.rules': {
    type: 'object',
    default: {},
    description: 'Severity per rule id ("off" silences the rule). Example: { "vectorization/vector-memory-access": "hint" }.',
    properties: Object.fromEntries(RULE_IDS.map((id) => [id, { type: 'string', enum: [...RULE_SETTINGS] }])),
    additionalProperties: false,
  },
  'kernelAdvisor.languages': {
    type: 'array',
    default: [...LANGUAGE_SETTINGS],
    items: { type: 'string', enum: [...LANGUAGE_SETTINGS] },
    description: 'Languages to analyse: CUDA, C++, C, and Python files that import triton or torch.',
  },
  'kernelAdvisor.maxFileSizeKb': {
    type: 'number',
    default: 1024,
    minimum: 1,
    description: 'Files larger than this (in KiB) are skipped with one informational diagnostic.',
  },
  'kernelAdvisor.includePaths': {
    type: 'array',
    default: [],
    items: { type: 'string' },
    description: 'Header directories (absolute, or relative to the workspace folder) searched for #include, besides -I of a compile_commands.json at the workspace root.',
  },
  'kernelAdvisor.functionBudgetMs': {
    type: 'number',
    default: 200,
    minimum: 0,
    description: "Milliseconds of CPU time one function's analysis may take before it is listed as skipped.",
  },
  'kernelAdvisor.fileBudgetMs': {
    type: 'number',
    default: 2000,
    minimum: 0,
    description: "Milliseconds of CPU time one file's analysis may take; the functions left are listed as skipped.",
  },
} as const;

/** A value as JSON, cut short: a message must stay one readable line whatever the file holds. */
function quote(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The first few items, then how many more: `"a", "b", "c" and 9,997 more`. */
function some(items: readonly string[], n = 3): string {
  if (items.length <= n + 1) return items.join(', ');
  return `${items.slice(0, n).join(', ')} and ${(items.length - n).toLocaleString('en-US')} more`;
}

/**
 * Validates a raw settings object ({ rules, languages, maxFileSizeKb }). Bad values are
 * dropped with one sentence per setting saying what was wrong; the rest still applies.
 */
export function validateConfig(raw: unknown, where = 'settings'): { config: Config; problems: string[] } {
  const problems: string[] = [];
  const config: Config = { rules: {}, languages: [...DEFAULT_CONFIG.languages], maxFileSizeKb: DEFAULT_CONFIG.maxFileSizeKb, includePaths: [] };
  if (raw === undefined || raw === null) return { config, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { config, problems: [`${where}: expected an object, got ${quote(raw)}; using the defaults.`] };
  }
  const r = raw as Record<string, unknown>;
  if (r.rules !== undefined) {
    if (typeof r.rules !== 'object' || r.rules === null || Array.isArray(r.rules)) {
      problems.push(`${where}: "rules" must be an object of rule id -> ${RULE_SETTINGS.join('|')}.`);
    } else {
      // one message per setting, however many entries are bad (10,000 bad ids -> one line)
      const unknown: string[] = [];
      const bad: [id: string, value: string][] = [];
      for (const [id, value] of Object.entries(r.rules)) {
        if (!isRuleId(id)) unknown.push(quote(id));
        else if (typeof value !== 'string' || !RULE_SETTINGS.includes(value as RuleSetting)) bad.push([quote(id), quote(value)]);
        else config.rules[id] = value as RuleSetting;
      }
      const parts: string[] = [];
      if (unknown.length) parts.push(`unknown ${unknown.length === 1 ? 'rule' : 'rules'} ${some(unknown)} (known: ${RULE_IDS.join(', ')})`);
      if (bad.length === 1) parts.push(`rule ${bad[0][0]} has setting ${bad[0][1]}; expected one of ${RULE_SETTINGS.join(', ')}`);
      else if (bad.length) parts.push(`rules ${some(bad.map(([id, v]) => `${id} (${v})`))} have settings other than ${RULE_SETTINGS.join(', ')}`);
      if (parts.length) problems.push(`${where}: in "rules", ${parts.join('; ')}. ${unknown.length + bad.length === 1 ? 'That entry is' : 'Those entries are'} ignored.`);
    }
  }
  if (r.languages !== undefined) {
    if (!Array.isArray(r.languages)) problems.push(`${where}: "languages" must be an array of ${LANGUAGE_SETTINGS.join(', ')}.`);
    else {
      const ok = r.languages.filter((l): l is LanguageSetting => LANGUAGE_SETTINGS.includes(l as LanguageSetting));
      const unknown = r.languages.filter((l) => !ok.includes(l as LanguageSetting)).map(quote);
      if (unknown.length) problems.push(`${where}: unknown ${unknown.length === 1 ? 'language' : 'languages'} ${some(unknown)} in "languages" (known: ${LANGUAGE_SETTINGS.join(', ')}).`);
      config.languages = ok;
    }
  }
  if (r.maxFileSizeKb !== undefined) {
    if (typeof r.maxFileSizeKb !== 'number' || !Number.isFinite(r.maxFileSizeKb) || r.maxFileSizeKb < 1) {
      problems.push(`${where}: "maxFileSizeKb" must be a number >= 1, got ${quote(r.maxFileSizeKb)}; using ${DEFAULT_CONFIG.maxFileSizeKb}.`);
    } else config.maxFileSizeKb = r.maxFileSizeKb;
  }
  for (const key of ['functionBudgetMs', 'fileBudgetMs'] as const) {
    const v = r[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${where}: "${key}" must be a number of milliseconds >= 0, got ${quote(v)}; using the default.`);
    else config[key] = v;
  }
  if (r.includePaths !== undefined) {
    if (!Array.isArray(r.includePaths) || r.includePaths.some((d) => typeof d !== 'string')) problems.push(`${where}: "includePaths" must be an array of directory paths.`);
    else config.includePaths = (r.includePaths as string[]).slice(0, 64);
  }
  return { config, problems };
}

/** A config file larger than this is not a config file (and is never read into memory). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads and validates a `.kernel-advisor.json` (or `--config FILE`): a regular file
 * only (a FIFO or /dev/zero is refused before it is opened for reading), at most
 * MAX_CONFIG_BYTES, a UTF-8 byte-order mark accepted, an empty file meaning `{}`.
 */
export function readConfigFile(file: string): { config: Config; problems: string[] } | { error: string } {
  const r = readRegularFile(file, MAX_CONFIG_BYTES);
  if (!r.ok) {
    const why = r.reason === 'too-large' ? `${r.message} for a config file` : r.message;
    return { error: `cannot read config ${file}: ${why}` };
  }
  const text = stripBom(r.text);
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    return { error: `${file} is not valid JSON (${(e as Error).message})` };
  }
  return validateConfig(raw, file);
}

/** Later layers override earlier ones rule by rule (defaults < editor settings < the workspace's .kernel-advisor.json). */
export function mergeConfigs(base: Config, over: Partial<Config>): Config {
  return {
    rules: { ...base.rules, ...(over.rules ?? {}) },
    languages: over.languages ?? base.languages,
    maxFileSizeKb: over.maxFileSizeKb ?? base.maxFileSizeKb,
    includePaths: over.includePaths?.length ? over.includePaths : base.includePaths,
    ...(over.functionBudgetMs ?? base.functionBudgetMs) !== undefined ? { functionBudgetMs: over.functionBudgetMs ?? base.functionBudgetMs } : {},
    ...(over.fileBudgetMs ?? base.fileBudgetMs) !== undefined ? { fileBudgetMs: over.fileBudgetMs ?? base.fileBudgetMs } : {},
  };
}
