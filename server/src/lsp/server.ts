// The language server: a thin adapter from LSP to the analysis core. Each open document
// is analysed in short time slices (see Scheduler, SlicedFactsCache): a newer version
// supersedes the work of an older one, and only the version just analysed is published.
// Re-parsing is incremental and only changed functions are re-analysed, so an edit
// usually finishes in its first slice (no debounce); a parse from scratch (a file just
// opened, or whose tree was dropped) runs in slices as well (OpenDocument.parseSlice).
import {
  createConnection,
  ProposedFeatures,
  TextDocumentSyncKind,
  DidChangeConfigurationNotification,
  ErrorCodes,
  MessageType,
  ResponseError,
  ShowMessageNotification,
  CodeActionKind,
  type CodeAction,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { Engine } from '../core/engine';
import { ParseTimeout, detectLanguage, grammarFor, type GrammarName } from '../core/parser';
import { RULE_IDS, isRuleId } from '../core/ruleIds';
import type { Finding } from '../core/types';
import type { FileFacts } from '../core/facts/model';
import { ONE_GO_CHARS, OpenDocument, SliceExpired, type AnalysedText, type Published } from './documents';
import { stdioTransport } from './wire';
import type { FixOutcome } from '../core/fix';
import { DISABLE_IN_WORKSPACE, FIX_ALL, SOURCE, codeActions, fixAllAction, disableRuleEdit, explainMarkdown, hoverMarkdown, isFindingRef, knowledgeMarkdown, skippedDiagnostic, toDiagnostic, diagnosticSupport, FULL_SUPPORT, type DiagnosticSupport, type ExplainedFinding, type FindingRef } from './convert';
import { Settings } from './settings';
import { Scheduler } from './scheduler';
import { IdleCompaction } from './memory';
import { WorkspaceAccess, uriToPath } from './workspace';
import { builtinNote } from './builtins';
import { version } from '../../../package.json';

const CONFIG_FILE = '.kernel-advisor.json';
const MAX_CONFIG_BYTES = 1024 * 1024;
/** Work per slice before the event loop gets a turn (a function's facts or rule checks are never split). */
const SLICE_MS = 10;
/** Idle time after a layout edit before the document's facts are brought up to date (lsp/documents.ts, findingsMovedByLayout): less than a typist's pause between keys, so the key after an Enter finds them moved. */
const CATCH_UP_MS = 50;
/**
 * Syntax trees kept for incremental re-parsing, for the documents edited last. Trees live
 * on the WASM heap, which never shrinks and fragments: 50 trees of 1,000 lines cost about
 * 96 MB, 8 about 45 MB, 2 about 15 MB. Other documents keep their facts and findings, and
 * re-parse from scratch (about 10 ms per 1,000 lines) on their next edit.
 */
const MAX_TREES = 2;

/** A notification, never window/showMessageRequest: nothing the user must answer. */
function showMessage(connection: Connection, type: MessageType, message: string): void {
  void connection.sendNotification(ShowMessageNotification.type, { type, message });
}

/**
 * A server that cannot analyse (a damaged knowledge base, missing grammars) still answers
 * the protocol, says why once, and publishes nothing, rather than crash-looping the client.
 */
function startDisabled(connection: Connection, reason: string): void {
  connection.onInitialize(() => ({ capabilities: {}, serverInfo: { name: 'kernel-advisor', version } }));
  connection.onInitialized(() => {
    connection.console.error(reason);
    showMessage(connection, MessageType.Error, `Kernel Advisor cannot analyse: ${reason}`);
  });
  connection.listen();
}

export async function startServer(connection: Connection = createConnection(ProposedFeatures.all, ...stdioTransport())): Promise<void> {
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
    // documents whose analysis is done give theirs up first, and their facts with it; one still
    // being analysed would parse again (it keeps its facts: its slices go on from them)
    for (const pass of [(d: OpenDocument) => !scheduler.has(d.doc.uri), () => true]) {
      for (const old of withTrees) {
        if (withTrees.size <= MAX_TREES) return;
        if (old === od || !pass(old)) continue;
        old.dropTree();
        if (!scheduler.has(old.doc.uri)) old.releaseFacts();
        withTrees.delete(old);
      }
    }
  };
  const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
  const memory = new IdleCompaction(({ before, after, ms }) =>
    connection.tracer.log(`idle after a burst of work: the heap gave back ${mb(before - after)} (${mb(before)} to ${mb(after)}) in ${ms.toFixed(0)} ms`),
  );
  const scheduler = new Scheduler((uri, e) => connection.console.error(`analysis of ${uri} failed: ${(e as Error).stack ?? e}`), memory);
  const access = new WorkspaceAccess();
  let workspaceFolders: string[] = [];
  let clientCommands = new Set<string>();
  /** The diagnostic properties the client shows (its capabilities). */
  let shown: DiagnosticSupport = FULL_SUPPORT;
  let canPullConfig = false;
  let canRegisterConfigChanges = false;
  let canApplyEdit = false;
  let canWatchFolders = false;
  const settings = new Settings((problems) => {
    for (const p of problems) connection.console.warn(p);
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more; see the Kernel Advisor output)` : '';
    showMessage(connection, MessageType.Warning, `Kernel Advisor: ${problems[0]}${more}`);
  });

  /** Settings come from the first workspace folder the client opened, and from nowhere else. */
  const configPath = (): string | null => (workspaceFolders[0] ? join(workspaceFolders[0], CONFIG_FILE) : null);
  const readWorkspaceConfig = (): { text: string | null; error?: string } => {
    const path = configPath();
    if (!path) return { text: null };
    const r = access.read(path, MAX_CONFIG_BYTES);
    if (r.ok) return { text: r.text };
    return r.missing ? { text: null } : { text: null, error: `${path}: ${r.message}; it is ignored.` };
  };

  /** Settings a client pushed with didChangeConfiguration (clients that cannot be asked, such as Neovim 0.7). */
  let pushedSettings: unknown = undefined;
  const refreshSettings = async () => {
    let editor: unknown = pushedSettings;
    if (canPullConfig) {
      try {
        [editor] = await connection.workspace.getConfiguration([{ section: 'kernelAdvisor' }]);
      } catch (e) {
        connection.console.warn(`could not read settings: ${(e as Error).message}`);
      }
    }
    access.setRoots(workspaceFolders);
    const file = readWorkspaceConfig();
    if (file.error) connection.console.warn(file.error);
    settings.update(editor, file.text, configPath() ?? CONFIG_FILE);
    // headers and files are read only from the workspace folders and the configured include directories
    engine.setWorkspace(workspaceFolders, settings.config.includePaths);
    const base = workspaceFolders[0] ?? '/';
    access.setRoots([...workspaceFolders, ...settings.config.includePaths.map((p) => resolve(base, p))]);
  };

  /** Loads a grammar once, logs how long it took, then analyses the documents that waited for it. */
  const grammarLoads = new Map<GrammarName, Promise<void>>();
  const loadGrammar = (grammar: GrammarName) => {
    if (grammarLoads.has(grammar)) return;
    const started = performance.now();
    const p = engine.parsers.ensure(grammar).then(
      () => {
        connection.console.info(`loaded the ${grammar} grammar in ${(performance.now() - started).toFixed(0)} ms`);
        for (const od of docs.values()) if (od.language && grammarFor(od.language) === grammar) schedule(od);
      },
      (e) => connection.console.error(`could not load the ${grammar} grammar: ${(e as Error).message}`),
    );
    grammarLoads.set(grammar, p);
  };

  /** `movedFrom`: the findings were moved by layout edits from that text's (Published.movedFrom). */
  const publish = (od: OpenDocument, findings: Finding[], diagnostics: Diagnostic[], facts?: FileFacts, movedFrom?: AnalysedText) => {
    const { uri } = od.doc;
    const v = od.version;
    if (od.published && od.published.version > v) return; // never over a newer version
    const lines = od.cache.lines?.text === od.text ? { lines: od.cache.lines.lines } : {};
    od.published = { version: v, text: od.text, findings, ...(facts ? { facts } : {}), ...lines, ...(movedFrom ? { movedFrom } : {}) };
    if (!withTrees.has(od)) od.releaseFacts(); // its tree was given up while it was analysed: so are its facts, now it is done
    const w = od.work;
    connection.tracer.log(`analysed ${uriToPath(uri)} (version ${v}) in ${w.ms.toFixed(1)} ms${w.slices > 1 ? ` over ${w.slices} slices` : ''}: ${findings.length} finding${findings.length === 1 ? '' : 's'}`);
    void connection.sendDiagnostics({ uri, version: v, diagnostics });
  };

  const traceParse = (od: OpenDocument) => (p: { parseMs: number; elapsedMs: number; slices: number }) =>
    connection.tracer.log(`parsed ${uriToPath(od.doc.uri)} (version ${od.version}) in ${p.parseMs.toFixed(1)} ms over ${p.slices} slices (${p.elapsedMs.toFixed(0)} ms elapsed)`);

  /** One slice of a document's analysis (its parse first), always of its current text; 'again' when the slice ran out. */
  const step = (od: OpenDocument): 'done' | 'again' => {
    if (docs.get(od.doc.uri) !== od) return 'done'; // closed or reopened meanwhile
    if (od.language && !engine.parsers.has(grammarFor(od.language))) {
      loadGrammar(grammarFor(od.language)); // schedules the document again once loaded
      return 'done';
    }
    if (od.work.version !== od.version) od.work = { version: od.version, ms: 0, slices: 0 };
    const started = performance.now();
    let findings: Finding[] = [];
    let facts: FileFacts | undefined;
    let diagnostics: Diagnostic[] = [];
    // (findings that only a full analysis gave can be moved by the next layout edit; a skipped file's or a failed one's cannot)
    let derived = false;
    try {
      if (od.language) {
        const path = uriToPath(od.doc.uri);
        const config = settings.config;
        const skip = engine.skipReason(path, od.text, od.language, config);
        if (skip) {
          od.dropTree();
          diagnostics = [skippedDiagnostic(skip)];
        } else {
          const tree = od.parseSlice(engine.parsers, SLICE_MS, traceParse(od));
          if (!tree) throw new SliceExpired(); // a long (first) parse goes on in the next slice
          keepTree(od);
          const language = od.language;
          // a layout edit: the published findings, moved
          let moved = od.findingsMovedByLayout(tree);
          // the analysis has what is left of the slice, and at least half a slice after a parse that
          // took most of it (documents opened together drop each other's trees and parse again)
          od.cache.startSlice(Math.max(SLICE_MS / 2, SLICE_MS - (performance.now() - started)));
          try {
            // (or an edit after one, read as if the layout edit had not been made, its findings moved by it)
            moved ??= od.findingsBeforeLayoutEdits(tree, engine.parsers, (t, text) => engine.analyzeTree(language, t, text, config, od.cache, undefined, path));
            if (!moved) {
              findings = engine.analyzeTree(language, tree, od.text, config, od.cache, undefined, path);
              derived = true;
              facts = engine.lastAnalysisFacts ?? undefined;
            }
          } finally {
            od.cache.endSlice();
          }
          diagnostics = (moved?.findings ?? findings).map((f) => {
            let d = od.diagnostics.get(f);
            if (!d) od.diagnostics.set(f, (d = toDiagnostic(f, od.doc.uri, engine.knowledge, shown)));
            return d;
          });
          if (moved) {
            // the facts catch up once the typing pauses
            od.work.ms += performance.now() - started;
            od.work.slices++;
            publish(od, moved.findings, diagnostics, undefined, moved.from);
            catchUpLater(od);
            return 'done';
          }
        }
      }
    } catch (e) {
      if (e instanceof SliceExpired) {
        od.work.ms += performance.now() - started;
        od.work.slices++;
        return 'again';
      }
      if (e instanceof ParseTimeout) diagnostics = [skippedDiagnostic(`not analysed: ${e.message}`)];
      else connection.console.error(`analysis of ${od.doc.uri} failed: ${(e as Error).stack ?? e}`);
    }
    od.work.ms += performance.now() - started;
    od.work.slices++;
    od.needsFull = !derived;
    publish(od, findings, diagnostics, facts);
    return 'done';
  };
  const schedule = (od: OpenDocument, full = false) => {
    if (full) od.needsFull = true;
    scheduler.schedule(od.doc.uri, () => step(od));
  };
  /** After findings moved by a layout edit: the document analysed the usual way once no edit came for a while. */
  const catchUpLater = (od: OpenDocument) => {
    const version = od.version;
    setTimeout(() => {
      if (docs.get(od.doc.uri) === od && od.version === version && od.published?.version === version) schedule(od, true);
    }, CATCH_UP_MS).unref();
  };
  /** One slice of parsing only (a tree a hover asked for); a ParseTimeout leaves the document without one. */
  const parseStep = (od: OpenDocument): 'done' | 'again' => {
    if (docs.get(od.doc.uri) !== od || !od.language) return 'done';
    try {
      if (!od.parseSlice(engine.parsers, SLICE_MS, traceParse(od))) return 'again';
      keepTree(od);
    } catch {
      // a ParseTimeout: the analysis has said so
    }
    return 'done';
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const folders = params.workspaceFolders?.length ? params.workspaceFolders.map((f) => f.uri) : params.rootUri ? [params.rootUri] : [];
    workspaceFolders = folders.filter((u) => u.startsWith('file:')).map(uriToPath);
    access.setRoots(workspaceFolders);
    const caps = params.capabilities;
    canPullConfig = !!caps.workspace?.configuration;
    canRegisterConfigChanges = !!caps.workspace?.didChangeConfiguration?.dynamicRegistration;
    canApplyEdit = !!caps.workspace?.applyEdit;
    canWatchFolders = !!caps.workspace?.workspaceFolders;
    shown = diagnosticSupport(caps.textDocument?.publishDiagnostics);
    const opts = params.initializationOptions as { clientCommands?: unknown } | undefined;
    if (Array.isArray(opts?.clientCommands)) clientCommands = new Set(opts.clientCommands.filter((c): c is string => typeof c === 'string'));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL] },
        executeCommandProvider: { commands: [DISABLE_IN_WORKSPACE] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'kernel-advisor', version },
    };
  });

  const reanalyzeAll = async () => {
    await refreshSettings();
    for (const od of docs.values()) schedule(od, true);
  };

  connection.onInitialized(async () => {
    connection.console.info(`Kernel Advisor ${version} started (node ${process.version}, pid ${process.pid}); workspace folders: ${workspaceFolders.join(', ') || 'none'}`);
    if (canPullConfig && canRegisterConfigChanges) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'kernelAdvisor' }).catch(() => undefined);
    if (canWatchFolders) {
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        const removed = new Set(e.removed.map((f) => uriToPath(f.uri)));
        const added = e.added.filter((f) => f.uri.startsWith('file:')).map((f) => uriToPath(f.uri));
        workspaceFolders = [...workspaceFolders.filter((f) => !removed.has(f)), ...added];
        void reanalyzeAll();
      });
    }
    await reanalyzeAll();
  });

  connection.onDidChangeConfiguration(({ settings: pushed }) => {
    // a client that cannot be asked sends its settings here ({ kernelAdvisor: {...} })
    if (!canPullConfig) pushedSettings = (pushed as { kernelAdvisor?: unknown } | null)?.kernelAdvisor;
    void reanalyzeAll();
  });
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
    schedule(od);
  });

  connection.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
    const od = docs.get(textDocument.uri);
    if (!od) return;
    if (typeof textDocument.version === 'number' && textDocument.version <= od.version) {
      // a client bug or a reordered message: applying it would corrupt the text we hold
      connection.console.warn(`ignored a change of ${textDocument.uri} to version ${textDocument.version}: it already is at version ${od.version}`);
      return;
    }
    od.applyChanges(contentChanges, textDocument.version);
    const language = detectLanguage(uriToPath(od.doc.uri), od.text, od.doc.languageId);
    if (language !== od.language) {
      od.dropTree(); // e.g. a Python file that just gained `import triton`
      od.language = language;
    }
    schedule(od); // supersedes the slices of an older version still queued
  });

  connection.onDidCloseTextDocument(({ textDocument }) => {
    const od = docs.get(textDocument.uri);
    od?.dropTree();
    if (od) withTrees.delete(od);
    docs.delete(textDocument.uri);
    scheduler.cancel(textDocument.uri);
    void connection.sendDiagnostics({ uri: textDocument.uri, diagnostics: [] });
  });

  const contains = (f: Finding, line: number, character: number) => {
    const { start, end } = f.range;
    if (line < start.line || line > end.line) return false;
    if (line === start.line && character < start.column) return false;
    if (line === end.line && character > end.column) return false;
    return true;
  };

  /**
   * The fixes of published findings (or why none), written when first asked for (a hover,
   * a code action) and kept for the version: only the findings asked about, with the
   * document's tree and facts when the published version is the current one.
   */
  const fixOutcomes = (od: OpenDocument, published: Published, findings: readonly Finding[]): Map<Finding, FixOutcome> => {
    const known = (published.fixes ??= new Map());
    const missing = findings.filter((f) => !known.has(f));
    if (missing.length) {
      const tree = published.version === od.version && od.language !== null ? od.currentTree : null;
      if (!tree && published.text.length > ONE_GO_CHARS) {
        // writing them would parse and read a large file in one go: not while answering a request.
        // A tree dropped to save memory is parsed again in the scheduler's turns; a newer version is being analysed
        const current = published.version === od.version;
        if (current && !scheduler.has(od.doc.uri)) scheduler.schedule(od.doc.uri, () => parseStep(od));
        const later = { reason: current ? 'the file is being parsed again' : 'a newer version of the file is being analysed' };
        return new Map([...known, ...missing.map((f) => [f, { fixes: f.fixes, ...(f.fixes.length ? {} : later) }] as const)]);
      }
      const made = engine.fixOutcomes(uriToPath(od.doc.uri), published.text, missing, {
        config: settings.config,
        languageId: od.doc.languageId,
        ...(tree ? { cache: od.cache, tree, facts: published.facts } : {}),
      });
      for (const [f, o] of made) known.set(f, o);
    }
    return known;
  };

  connection.onHover(({ textDocument, position }) => {
    const od = docs.get(textDocument.uri);
    const published = od?.published;
    const here = (published?.findings ?? []).filter((f) => contains(f, position.line, position.character));
    if (od && published && here.length) {
      const outcomes = fixOutcomes(od, published, here);
      const opts = { explainCommand: clientCommands.has('kernelAdvisor.explainRule'), uri: textDocument.uri };
      return { contents: { kind: 'markdown', value: here.map((f) => hoverMarkdown(f, engine.knowledge, { ...opts, fix: outcomes.get(f) })).join('\n\n---\n\n') } };
    }
    if (!od?.language || !engine.parsers.has(grammarFor(od.language))) return null;
    let tree = od.tree;
    if (!tree) {
      // its tree was dropped to save memory: parsed again for one slice at most; a longer
      // parse goes on in the scheduler's turns (unless an analysis of the document is queued,
      // which parses it), and a later hover has the tree
      try {
        tree = od.parseSlice(engine.parsers, SLICE_MS, traceParse(od));
      } catch {
        return null;
      }
      if (!tree) {
        if (!scheduler.has(od.doc.uri)) scheduler.schedule(od.doc.uri, () => parseStep(od));
        return null;
      }
      keepTree(od);
    }
    const node = tree.rootNode.descendantForPosition({ row: position.line, column: position.character });
    const note = node ? builtinNote(node) : null;
    return note ? { contents: { kind: 'markdown', value: note } } : null;
  });

  const sameRange = (f: Finding, d: Diagnostic) =>
    f.range.start.line === d.range.start.line && f.range.start.column === d.range.start.character &&
    f.range.end.line === d.range.end.line && f.range.end.column === d.range.end.character;

  connection.onCodeAction(({ textDocument, context }) => {
    const od = docs.get(textDocument.uri);
    const published = od?.published;
    if (!od || !published) return [];
    const ctx = {
      uri: textDocument.uri,
      version: published.version,
      eol: od.eol,
      lines: published.text.split('\n'),
      python: od.language === 'triton',
      workspaceCommand: canApplyEdit && workspaceFolders.length > 0,
      clientCommands,
    };
    const asksFor = (kind: string) => !!context.only?.some((k) => kind === k || kind.startsWith(`${k}.`));
    // quick fixes unless the client asks for other kinds; fix-all only when asked for (on save, the Source Action menu)
    const wants = (kind: string) => (kind === FIX_ALL ? asksFor(kind) : !context.only || asksFor(kind));
    const actions: CodeAction[] = [];
    const asked = context.diagnostics
      .filter((d) => d.source === SOURCE && typeof d.code === 'string')
      .map((d) => published.findings.find((x) => x.rule === d.code && sameRange(x, d)))
      .filter((f): f is Finding => f !== undefined);
    // fix-all writes every finding's fixes (asked for on save or from the menu, not per keystroke)
    const outcomes = fixOutcomes(od, published, wants(FIX_ALL) ? published.findings : asked);
    if (wants(FIX_ALL)) {
      const all = fixAllAction(ctx, published.findings.map((f) => ({ rule: f.rule, ...(outcomes.get(f) ?? { fixes: f.fixes }) })));
      if (all) actions.push(all);
    }
    if (!wants(CodeActionKind.QuickFix)) return actions;
    // only diagnostics of the published version: the fixes come from its findings, not from what the client sent back
    return actions.concat(context.diagnostics
      .filter((d) => d.source === SOURCE && typeof d.code === 'string')
      .flatMap((d) => {
        const f = published.findings.find((x) => x.rule === d.code && sameRange(x, d));
        return f ? codeActions(d, ctx, engine.knowledge, outcomes.get(f)?.fixes ?? f.fixes) : [];
      }));
  });

  /** "Disable <rule> in this workspace": edits .kernel-advisor.json as it is now, through workspace/applyEdit. */
  connection.onExecuteCommand(async ({ command, arguments: args }) => {
    if (command !== DISABLE_IN_WORKSPACE) throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${command}`);
    const rule = args?.[0];
    if (typeof rule !== 'string' || !isRuleId(rule)) throw new ResponseError(ErrorCodes.InvalidParams, `not a rule id: ${JSON.stringify(rule)}`);
    const path = configPath();
    if (!path) throw new ResponseError(ErrorCodes.InvalidRequest, 'no workspace folder is open');
    const current = access.read(path, MAX_CONFIG_BYTES);
    const result = current.ok || current.missing
      ? disableRuleEdit(rule, { uri: pathToFileURL(path).href, text: current.ok ? current.text : null })
      : { error: `${path}: ${current.message}; it is left as it is.` };
    if ('error' in result) {
      connection.console.warn(result.error);
      showMessage(connection, MessageType.Warning, `Kernel Advisor: ${result.error}`);
      return { applied: false };
    }
    // a refactoring, as when the user picks an edit from the menu: the client saves the file (VS Code: files.refactoring.autoSave)
    const r = await connection.workspace.applyEdit({ label: `Disable ${rule} in this workspace`, edit: result.edit, metadata: { isRefactoring: true } });
    if (!r.applied) connection.console.warn(`the client did not apply the edit of ${path}${r.failureReason ? `: ${r.failureReason}` : ''}`);
    return { applied: r.applied };
  });

  /**
   * The open document a command link names. VS Code decodes a command link's query twice
   * (a `%20` of the URI arrives as a space), so URIs also match decoded.
   */
  const decoded = (uri: string) => {
    try {
      return decodeURIComponent(uri);
    } catch {
      return uri;
    }
  };
  const openDocument = (uri: string): OpenDocument | undefined => docs.get(uri) ?? [...docs.values()].find((od) => decoded(od.doc.uri) === decoded(uri));

  /** The published finding of `rule` a hover's Explain link names (where it starts), with its fixes or why none; 'gone' when there is none now. */
  const explainedFinding = (rule: string, ref: FindingRef): ExplainedFinding | 'gone' => {
    const od = openDocument(ref.uri);
    const published = od?.published;
    if (!od || !published) return 'gone';
    const ours = published.findings.filter((f) => f.rule === rule);
    const f = ours.find((x) => x.range.start.line === ref.line && x.range.start.column === ref.character) ?? ours.find((x) => contains(x, ref.line, ref.character));
    return f ? { finding: f, uri: od.doc.uri, fix: fixOutcomes(od, published, [f]).get(f) } : 'gone';
  };

  /** Explain: the rule, and with `finding` (the hover's link) the finding first, in full. */
  connection.onRequest('kernelAdvisor/explainRule', (p: { rule?: unknown; finding?: unknown } | null) => {
    const rule = String(p?.rule ?? '');
    const here = isFindingRef(p?.finding) && isRuleId(rule) ? explainedFinding(rule, p.finding) : undefined;
    return { markdown: explainMarkdown(rule, engine.knowledge, here) };
  });
  connection.onRequest('kernelAdvisor/knowledgeBase', () => ({ markdown: knowledgeMarkdown(engine.knowledge) }));
  connection.onRequest('kernelAdvisor/ruleIds', () => ({ rules: RULE_IDS.map((id) => ({ id, title: engine.knowledge.rule(id)?.title ?? id })) }));
  /** Analyses files of the workspace (Analyze Workspace); a path outside its folders fails the whole request. */
  connection.onRequest('kernelAdvisor/analyzeFiles', async (p: { uris?: unknown }, token) => {
    const uris = Array.isArray(p?.uris) ? p.uris : [];
    const outside = uris.filter((u) => typeof u !== 'string' || (!docs.has(u) && !access.allows(uriToPath(u))));
    if (outside.length) {
      throw new ResponseError(ErrorCodes.InvalidParams, `refused: ${outside.slice(0, 3).map(String).join(', ')}${outside.length > 3 ? ` and ${outside.length - 3} more` : ''} ${outside.length === 1 ? 'is' : 'are'} outside the workspace folders`);
    }
    let files = 0;
    let count = 0;
    for (const uri of uris as string[]) {
      if (token.isCancellationRequested) break;
      const open = docs.get(uri);
      if (open) {
        files++;
        count += open.published?.findings.length ?? 0;
        continue;
      }
      const path = uriToPath(uri);
      const config = settings.config;
      const read = access.read(path, Math.max(config.maxFileSizeKb, 1) * 1024);
      let diagnostics: Diagnostic[];
      if (!read.ok) {
        if (read.missing || !detectLanguage(path, '')) continue;
        diagnostics = [skippedDiagnostic(`skipped: ${read.message}`)];
      } else {
        const language = detectLanguage(path, read.text);
        if (language) await engine.parsers.ensure(grammarFor(language));
        const result = engine.analyzeText(path, read.text, config, undefined, undefined, { fixes: false });
        if (result.language === null) continue;
        count += result.findings.length;
        diagnostics = result.error ? [skippedDiagnostic(result.error)] : result.findings.map((f) => toDiagnostic(f, uri, engine.knowledge, shown));
      }
      files++;
      void connection.sendDiagnostics({ uri, diagnostics });
      await new Promise((r) => setImmediate(r)); // let cancellation and other requests through
    }
    return { files, findings: count };
  });

  connection.onShutdown(() => {
    memory.dispose();
    for (const od of docs.values()) {
      od.dropTree();
      scheduler.cancel(od.doc.uri);
    }
    docs.clear();
  });

  connection.listen();
}
