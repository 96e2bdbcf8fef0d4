// The one definition of Kernel Advisor's settings: defaults, validation with clear
// messages, and the JSON schema that package.json's `contributes.configuration` must
// match (a test compares them). Used by the CLI (.kernel-advisor.json) and the server
// (VS Code settings + .kernel-advisor.json).
import { RULE_IDS, isRuleId, type RuleId } from './ruleIds';
import { SEVERITIES, type Severity } from './types';

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
    description: 'Languages to analyse: CUDA, C++, C, and Python files that import triton.',
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
} as const;

/**
 * Validates a raw settings object ({ rules, languages, maxFileSizeKb }). Bad values are
 * dropped, each with a sentence saying what was wrong; the rest still applies.
 */
export function validateConfig(raw: unknown, where = 'settings'): { config: Config; problems: string[] } {
  const problems: string[] = [];
  const config: Config = { rules: {}, languages: [...DEFAULT_CONFIG.languages], maxFileSizeKb: DEFAULT_CONFIG.maxFileSizeKb, includePaths: [] };
  if (raw === undefined || raw === null) return { config, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { config, problems: [`${where}: expected an object, got ${JSON.stringify(raw)}; using the defaults.`] };
  }
  const r = raw as Record<string, unknown>;
  if (r.rules !== undefined) {
    if (typeof r.rules !== 'object' || r.rules === null || Array.isArray(r.rules)) {
      problems.push(`${where}: "rules" must be an object of rule id -> ${RULE_SETTINGS.join('|')}.`);
    } else {
      for (const [id, value] of Object.entries(r.rules)) {
        if (!isRuleId(id)) problems.push(`${where}: unknown rule "${id}" in "rules" (known: ${RULE_IDS.join(', ')}).`);
        else if (typeof value !== 'string' || !RULE_SETTINGS.includes(value as RuleSetting)) {
          problems.push(`${where}: rule "${id}" has setting ${JSON.stringify(value)}; expected one of ${RULE_SETTINGS.join(', ')}.`);
        } else config.rules[id] = value as RuleSetting;
      }
    }
  }
  if (r.languages !== undefined) {
    if (!Array.isArray(r.languages)) problems.push(`${where}: "languages" must be an array of ${LANGUAGE_SETTINGS.join(', ')}.`);
    else {
      const ok = r.languages.filter((l): l is LanguageSetting => LANGUAGE_SETTINGS.includes(l as LanguageSetting));
      for (const l of r.languages) if (!ok.includes(l as LanguageSetting)) problems.push(`${where}: unknown language ${JSON.stringify(l)} in "languages" (known: ${LANGUAGE_SETTINGS.join(', ')}).`);
      config.languages = ok;
    }
  }
  if (r.maxFileSizeKb !== undefined) {
    if (typeof r.maxFileSizeKb !== 'number' || !Number.isFinite(r.maxFileSizeKb) || r.maxFileSizeKb < 1) {
      problems.push(`${where}: "maxFileSizeKb" must be a number >= 1, got ${JSON.stringify(r.maxFileSizeKb)}; using ${DEFAULT_CONFIG.maxFileSizeKb}.`);
    } else config.maxFileSizeKb = r.maxFileSizeKb;
  }
  if (r.includePaths !== undefined) {
    if (!Array.isArray(r.includePaths) || r.includePaths.some((d) => typeof d !== 'string')) problems.push(`${where}: "includePaths" must be an array of directory paths.`);
    else config.includePaths = (r.includePaths as string[]).slice(0, 64);
  }
  return { config, problems };
}

/** Later layers override earlier ones rule by rule (defaults < editor settings < the workspace's .kernel-advisor.json). */
export function mergeConfigs(base: Config, over: Partial<Config>): Config {
  return {
    rules: { ...base.rules, ...(over.rules ?? {}) },
    languages: over.languages ?? base.languages,
    maxFileSizeKb: over.maxFileSizeKb ?? base.maxFileSizeKb,
    includePaths: over.includePaths?.length ? over.includePaths : base.includePaths,
  };
}
