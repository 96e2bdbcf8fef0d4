// The shape of a rule: a small module over the facts (DESIGN.md "How the analysis should
// work"). Rules never see syntax trees or the editor; they read facts and return
// findings. Severity, citations and suppression are applied by the engine.
import type { FileFacts, FunctionFacts } from './facts/model';
import type { RuleId } from './ruleIds';
import type { RuleFinding, Severity, SourceLanguage } from './types';
import type { Fixer } from './fix';

interface RuleMeta {
  id: RuleId;
  languages: readonly SourceLanguage[];
  /** Opportunities default to information or hint: they are advice, not errors. */
  defaultSeverity: Severity;
  /** Writes the code that applies the optimization for a finding (core/fix.ts), on demand. */
  fix?: Fixer;
}

/**
 * A rule that looks at one function at a time. Its findings are cached with the
 * function's facts, so an edit re-runs it only on the function that changed.
 */
export interface FunctionRule extends RuleMeta {
  checkFunction(fn: FunctionFacts): RuleFinding[];
}

/** A rule that relates functions (a host function's launches and the kernels they run) or reads the whole file. */
export interface FileRule extends RuleMeta {
  check(facts: FileFacts): RuleFinding[];
  /**
   * The rule reads source lines besides the facts (loop headers' text): its results are not carried over to a
   * version whose facts are the same but whose text differs (a word typed in a comment).
   */
  readsLines?: boolean;
}

export type Rule = FunctionRule | FileRule;
