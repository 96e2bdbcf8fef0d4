// The language server: a thin adapter from LSP to the analysis core. Diagnostics are
// published synchronously on open and on every change (no debounce: re-parsing is
// incremental and only changed functions are re-analysed, see FactsCache).
import {
  createConnection,
  ProposedFeatures,
  TextDocumentSyncKind,
  DidChangeConfigurationNotification,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Engine } from '../core/engine';
import { ParseTimeout, detectLanguage, grammarFor } from '../core/parser';
import { RULE_IDS } from '../core/ruleIds';
import type { Finding } from '../core/types';
import { OpenDocument } from './documents';
import { SOURCE, codeActions, explainMarkdown, hoverMarkdown, knowledgeMarkdown, skippedDiagnostic, toDiagnostic } from './convert';
import { Settings } from './settings';
import { builtinNote } from './builtins';
import { version } from '../../../package.json';

const CONFIG_FILE = '.kernel-advisor.json';
/**
 * Syntax trees kept for incremental re-parsing, for the documents edited last. Trees live
 * on the WASM heap, which never shrinks and fragments: 50 trees of 1,000 lines cost about
 * 96 MB, 8 about 45 MB, 2 about 15 MB. Other documents keep their facts and findings, and
 * re-parse from scratch (about 10 ms per 1,000 lines) on their next edit.
 */
const MAX_TREES = 2;

function uriToPath(uri: string): string {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  } catch {
    return uri;
  }
}

/**
 * A server that cannot analyse (a damaged knowledge base, missing grammars) still answers
 * the protocol, says why once, and publishes nothing, rather than crash-looping the client.
 */
function startDisabled(connection: Connection, reason: string): void {
  connection.onInitialize(() => ({ capabilities: {}, serverInfo: { name: 'kernel-advisor', version } }));
  connection.onInitialized(() => {
    connection.console.error(reason);
    void connection.window.showErrorMessage(`Kernel Advisor cannot analyse: ${reason}`);
  });
  connection.listen();
}

export async function startServer(connection: Connection = createConnection(ProposedFeatures.all)): Promise<void> {
  let engine: Engine;
  try {
    engine = await Engine.create([]); // grammars load when the first file of their language opens
  } catch (e) {
    return startDisabled(connection, (e as Error).message);
  }
  const docs = new Map<string, OpenDocument>();
  const withTrees = new Set<OpenDocument>(); // insertion order = least recently used first
  const keepTree = (od: OpenDocument) => {
    withTrees.delete(od);
    withTrees.add(od);
    for (const old of withTrees) {
      if (withTrees.size <= MAX_TREES) break;
      old.dropTree();
      withTrees.delete(old);
    }
  };
  const findings = new Map<string, Finding[]>();
  let workspaceRoot: string | null = null;
  let workspaceFolders: string[] = [];
  let clientCommands = new Set<string>();
  let canPullConfig = false;
  const settings = new Settings((problems) => {
    for (const p of problems) {
      connection.console.warn(p);
      void connection.window.showWarningMessage(`Kernel Advisor: ${p}`);
    }
  });

  const readWorkspaceConfig = (): string | null => {
    if (!workspaceRoot) return null;
    try {
      return readFileSync(join(workspaceRoot, CONFIG_FILE), 'utf8');
    } catch {
      return null;
    }
  };

  const refreshSettings = async () => {
    let editor: unknown = undefined;
    if (canPullConfig) {
      try {
        [editor] = await connection.workspace.getConfiguration([{ section: 'kernelAdvisor' }]);
      } catch (e) {
        connection.console.warn(`could not read settings: ${(e as Error).message}`);
      }
    }
    settings.update(editor, readWorkspaceConfig(), workspaceRoot ? join(workspaceRoot, CONFIG_FILE) : CONFIG_FILE);
    // headers are read only from the workspace folders and the configured include directories
    engine.setWorkspace(workspaceFolders, settings.config.includePaths);
  };

  /** Analyses a document and publishes its diagnostics; never throws. */
  const analyze = (od: OpenDocument) => {
    const uri = od.doc.uri;
    if (od.language && !engine.parsers.has(grammarFor(od.language))) {
      // first file of its language: load the grammar, then analyse the text as it is by then
      engine.parsers.ensure(grammarFor(od.language)).then(
        () => docs.get(uri) === od && analyze(od),
        (e) => connection.console.error(`could not load the ${od.language} grammar: ${(e as Error).message}`),
      );
      return;
    }
    let diagnostics: Diagnostic[] = [];
    let result: Finding[] = [];
    try {
      if (od.language) {
        const path = uriToPath(uri);
        const config = settings.config;
        const skip = engine.skipReason(path, od.text, od.language, config);
        if (skip) {
          od.dropTree();
          diagnostics = [skippedDiagnostic(skip)];
        } else {
          const tree = od.reparse(engine.parsers);
          keepTree(od);
          result = engine.analyzeTree(od.language, tree, od.text, config, od.cache, undefined, path);
          diagnostics = result.map((f) => toDiagnostic(f, uri, engine.knowledge));
        }
      }
    } catch (e) {
      if (e instanceof ParseTimeout) diagnostics = [skippedDiagnostic(`not analysed: ${e.message}`)];
      else connection.console.error(`analysis of ${uri} failed: ${(e as Error).stack ?? e}`);
    }
    findings.set(uri, result);
    void connection.sendDiagnostics({ uri, version: od.doc.version, diagnostics });
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? null;
    workspaceRoot = folder ? uriToPath(folder) : null;
    workspaceFolders = params.workspaceFolders?.length ? params.workspaceFolders.map((f) => uriToPath(f.uri)) : workspaceRoot ? [workspaceRoot] : [];
    canPullConfig = !!params.capabilities.workspace?.configuration;
    const opts = params.initializationOptions as { clientCommands?: unknown } | undefined;
    if (Array.isArray(opts?.clientCommands)) clientCommands = new Set(opts.clientCommands.filter((c): c is string => typeof c === 'string'));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
      },
      serverInfo: { name: 'kernel-advisor', version },
    };
  });

  connection.onInitialized(async () => {
    if (canPullConfig) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'kernelAdvisor' }).catch(() => undefined);
    await refreshSettings();
    for (const od of docs.values()) analyze(od);
  });

  const reanalyzeAll = async () => {
    await refreshSettings();
    for (const od of docs.values()) analyze(od);
  };
  connection.onDidChangeConfiguration(() => void reanalyzeAll());
  connection.onDidChangeWatchedFiles((p) => {
    if (p.changes.some((c) => c.uri.endsWith(CONFIG_FILE))) void reanalyzeAll();
  });

  connection.onDidOpenTextDocument(({ textDocument: t }) => {
    const doc = TextDocument.create(t.uri, t.languageId, t.version, t.text);
    const od = new OpenDocument(doc, detectLanguage(uriToPath(t.uri), t.text, t.languageId));
    const previous = docs.get(t.uri);
    previous?.dropTree();
    if (previous) withTrees.delete(previous);
    docs.set(t.uri, od);
    analyze(od);
  });

  connection.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
    const od = docs.get(textDocument.uri);
    if (!od) return;
    od.applyChanges(contentChanges, textDocument.version);
    const language = detectLanguage(uriToPath(od.doc.uri), od.text, od.doc.languageId);
    if (language !== od.language) {
      od.dropTree(); // e.g. a Python file that just gained `import triton`
      od.language = language;
    }
    analyze(od);
  });

  connection.onDidCloseTextDocument(({ textDocument }) => {
    const od = docs.get(textDocument.uri);
    od?.dropTree();
    if (od) withTrees.delete(od);
    docs.delete(textDocument.uri);
    findings.delete(textDocument.uri);
    void connection.sendDiagnostics({ uri: textDocument.uri, diagnostics: [] });
  });

  const contains = (f: Finding, line: number, character: number) => {
    const { start, end } = f.range;
    if (line < start.line || line > end.line) return false;
    if (line === start.line && character < start.column) return false;
    if (line === end.line && character > end.column) return false;
    return true;
  };

  connection.onHover(({ textDocument, position }) => {
    const here = (findings.get(textDocument.uri) ?? []).filter((f) => contains(f, position.line, position.character));
    if (here.length) {
      return { contents: { kind: 'markdown', value: here.map((f) => hoverMarkdown(f, engine.knowledge)).join('\n\n---\n\n') } };
    }
    const od = docs.get(textDocument.uri);
    if (!od?.language) return null;
    let tree = od.tree;
    if (!tree) {
      try {
        tree = od.reparse(engine.parsers); // its tree was dropped to save memory
        keepTree(od);
      } catch {
        return null;
      }
    }
    const node = tree.rootNode.descendantForPosition({ row: position.line, column: position.character });
    const note = node ? builtinNote(node) : null;
    return note ? { contents: { kind: 'markdown', value: note } } : null;
  });

  connection.onCodeAction(({ textDocument, context }) => {
    const od = docs.get(textDocument.uri);
    if (!od) return [];
    const ours = context.diagnostics.filter((d) => d.source === SOURCE && typeof d.code === 'string');
    const lines = od.text.split('\n');
    const cfgUri = workspaceRoot ? pathToFileURL(join(workspaceRoot, CONFIG_FILE)).href : undefined;
    const ctx = {
      uri: textDocument.uri,
      lines,
      python: od.language === 'triton',
      workspaceConfig: cfgUri ? { uri: cfgUri, text: readWorkspaceConfig() } : undefined,
      clientCommands,
    };
    return ours.flatMap((d) => codeActions(d, ctx, engine.knowledge));
  });

  connection.onRequest('kernelAdvisor/explainRule', (p: { rule?: string }) => ({ markdown: explainMarkdown(String(p?.rule ?? ''), engine.knowledge) }));
  connection.onRequest('kernelAdvisor/knowledgeBase', () => ({ markdown: knowledgeMarkdown(engine.knowledge) }));
  connection.onRequest('kernelAdvisor/ruleIds', () => ({ rules: RULE_IDS.map((id) => ({ id, title: engine.knowledge.rule(id)?.title ?? id })) }));
  connection.onRequest('kernelAdvisor/analyzeFiles', async (p: { uris?: string[] }, token) => {
    let files = 0;
    let count = 0;
    for (const uri of p?.uris ?? []) {
      if (token.isCancellationRequested) break;
      const open = docs.get(uri);
      if (open) {
        files++;
        count += findings.get(uri)?.length ?? 0;
        continue;
      }
      const path = uriToPath(uri);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue;
      }
      const language = detectLanguage(path, text);
      if (language) await engine.parsers.ensure(grammarFor(language));
      const result = engine.analyzeText(path, text, settings.config);
      if (result.language === null) continue;
      files++;
      count += result.findings.length;
      const diagnostics = result.error ? [skippedDiagnostic(result.error)] : result.findings.map((f) => toDiagnostic(f, uri, engine.knowledge));
      void connection.sendDiagnostics({ uri, diagnostics });
      await new Promise((r) => setImmediate(r)); // let cancellation and other requests through
    }
    return { files, findings: count };
  });

  connection.onShutdown(() => {
    for (const od of docs.values()) od.dropTree();
    docs.clear();
  });

  connection.listen();
}
