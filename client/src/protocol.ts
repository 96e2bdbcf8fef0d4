// The custom requests of the Kernel Advisor language server (see server/src/lsp).
// Declared here, typed once, so the commands do not spell method names by hand.
import { RequestType } from 'vscode-languageclient/node';

export interface MarkdownResult {
  markdown: string;
}
export interface RuleInfo {
  id: string;
  title: string;
}
export interface AnalyzeFilesResult {
  files: number;
  findings: number;
}

/** A finding, named by its document and where it starts: the second argument of the hover's Explain link. */
export interface FindingRef {
  uri: string;
  line: number;
  character: number;
}

/** The rule's explanation; with `finding`, that finding in full first (the server has it while the document is open). */
export const ExplainRuleRequest = new RequestType<{ rule: string; finding?: FindingRef }, MarkdownResult, void>('kernelAdvisor/explainRule');
export const KnowledgeBaseRequest = new RequestType<Record<string, never>, MarkdownResult, void>('kernelAdvisor/knowledgeBase');
export const RuleIdsRequest = new RequestType<Record<string, never>, { rules: RuleInfo[] }, void>('kernelAdvisor/ruleIds');
export const AnalyzeFilesRequest = new RequestType<{ uris: string[] }, AnalyzeFilesResult, void>('kernelAdvisor/analyzeFiles');

/** Diagnostics from our server carry this source. */
export const SOURCE = 'kernel-advisor';

/** The client commands the server may put into code actions. */
export const CLIENT_COMMANDS = ['kernelAdvisor.explainRule', 'kernelAdvisor.openPaper'];
