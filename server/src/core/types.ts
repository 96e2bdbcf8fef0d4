// Shared vocabulary of the analysis core. No LSP or VS Code types here: the CLI,
// the language server and the tests all speak this.

export type SourceLanguage = 'cuda' | 'cpp' | 'triton';

export type Severity = 'error' | 'warning' | 'information' | 'hint';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint'];

/** 0-based line and column (UTF-16 code units, as LSP and JS strings count). */
export interface Position {
  line: number;
  column: number;
}
export interface Range {
  start: Position;
  end: Position;
}

/** How a finding was derived (ANALYSIS.md §3). */
export type Confidence = 'proven' | 'likely' | 'heuristic';

export interface TextEdit {
  range: Range;
  newText: string;
}
export interface Fix {
  title: string;
  edits: TextEdit[];
  /**
   * Applies without a user's choice (`source.fixAll`, `kernel-advisor fix`): same results
   * for every input. Fixes that trade accuracy (TF32) or need the caller changed are not.
   */
  safe?: boolean;
}
export interface RelatedLocation {
  range: Range;
  message: string;
}

/** What a rule reports; the engine adds rule id, severity and citations. */
export interface RuleFinding {
  range: Range;
  message: string;
  /** Enclosing function name, or null at file scope. */
  function: string | null;
  confidence: Confidence;
  /** Assumptions the finding rests on, e.g. "assumes blockDim.x is a multiple of 32". */
  assumptions?: string[];
  /** Rough size of the win for this code, e.g. "global loads of A and B drop by the tile width". */
  benefit?: string;
  /**
   * Markdown: what to do about it and why, for the hover and the explanation. The
   * message stays one line (the access, the problem, the cost); the remedy goes here.
   */
  detail?: string;
  related?: RelatedLocation[];
  fixes?: Fix[];
}

export interface Finding extends RuleFinding {
  rule: string;
  severity: Severity;
  assumptions: string[];
  related: RelatedLocation[];
  fixes: Fix[];
  /** Paper ids from the knowledge base, key citation first. */
  citations: string[];
}

export interface AnalysisError {
  message: string;
}

export interface FileResult {
  language: SourceLanguage | null;
  findings: Finding[];
  /** Set when the file was skipped or could not be analysed. */
  error?: string;
  /** Functions that could not be modelled (0-based line of their start), and why. */
  skipped?: { function: string; reason: string; line: number }[];
}
