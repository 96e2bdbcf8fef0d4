// The shape of a rule: a small module over the facts (DESIGN.md "How the analysis should
// work"). Rules never see syntax trees or the editor; they read FileFacts and return
// findings. Severity, citations and suppression are applied by the engine.
import type { FileFacts } from './facts/model';
import type { RuleId } from './ruleIds';
import type { RuleFinding, Severity, SourceLanguage } from './types';

export interface Rule {
  id: RuleId;
  languages: readonly SourceLanguage[];
  /** Opportunities default to information or hint: they are advice, not errors. */
  defaultSeverity: Severity;
  check(facts: FileFacts): RuleFinding[];
}
