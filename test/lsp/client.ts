// A real JSON-RPC client for protocol tests: spawns `node dist/cli.js lsp --stdio` and
// waits on publishDiagnostics events (never on fixed sleeps).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import {
  createProtocolConnection,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type InitializeParams,
  type ApplyWorkspaceEditParams,
  type ApplyWorkspaceEditResult,
} from 'vscode-languageserver-protocol';

export const repoRoot = join(__dirname, '..', '..');

export class TestClient {
  readonly conn: ProtocolConnection;
  readonly proc: ChildProcess;
  readonly messages: { type: number; message: string }[] = [];
  readonly stderr: string[] = [];
  /** Every publishDiagnostics, in the order received. */
  readonly history: PublishDiagnosticsParams[] = [];
  /** window/showMessageRequest: messages the user would have to answer (the server should send none). */
  readonly messageRequests: { type: number; message: string }[] = [];
  /** $/logTrace messages (sent while the trace is on). */
  readonly traces: string[] = [];
  /** Configuration the server pulls with workspace/configuration. */
  settings: unknown = {};
  /** workspace/applyEdit requests the server sent, and what the client answers to them. */
  readonly appliedEdits: ApplyWorkspaceEditParams[] = [];
  applyEdit: (p: ApplyWorkspaceEditParams) => ApplyWorkspaceEditResult = () => ({ applied: true });
  private latest = new Map<string, PublishDiagnosticsParams>();
  private waiters: { uri: string; pred: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  exitCode: Promise<number | null>;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.proc = spawn(process.execPath, [join(repoRoot, 'dist/cli.js'), 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.proc.stderr!.on('data', (d) => this.stderr.push(String(d)));
    this.exitCode = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
    this.conn = createProtocolConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    this.conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.latest.set(p.uri, p);
      this.history.push(p);
      this.waiters = this.waiters.filter((w) => {
        if (w.uri === p.uri && w.pred(p)) {
          w.resolve(p);
          return false;
        }
        return true;
      });
    });
    this.conn.onNotification('window/showMessage', (p: { type: number; message: string }) => { this.messages.push(p); });
    this.conn.onNotification('window/logMessage', (p: { type: number; message: string }) => { this.messages.push(p); });
    this.conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => this.settings));
    this.conn.onRequest('client/registerCapability', () => null);
    this.conn.onRequest('workspace/applyEdit', (p: ApplyWorkspaceEditParams) => {
      this.appliedEdits.push(p);
      return this.applyEdit(p);
    });
    this.conn.onRequest('window/showMessageRequest', (p: { type: number; message: string }) => {
      this.messages.push(p);
      this.messageRequests.push(p);
      return null;
    });
    this.conn.onNotification('$/logTrace', (p: { message: string }) => { this.traces.push(p.message); });
    this.conn.listen();
  }

  async initialize(rootUri: string | null, initializationOptions: unknown = {}): Promise<void> {
    const params: InitializeParams = {
      processId: process.pid,
      rootUri,
      workspaceFolders: rootUri ? [{ uri: rootUri, name: 'ws' }] : null,
      capabilities: { workspace: { configuration: true, applyEdit: true, workspaceEdit: { documentChanges: true, resourceOperations: ['create'] }, didChangeConfiguration: { dynamicRegistration: true } }, textDocument: { publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, dataSupport: true } } },
      initializationOptions,
    };
    await this.conn.sendRequest(InitializeRequest.type, params);
    await this.conn.sendNotification(InitializedNotification.type, {});
  }

  /** Resolves with the first publishDiagnostics for `uri` that satisfies `pred` (including one already received). */
  diagnostics(uri: string, pred: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 15000): Promise<PublishDiagnosticsParams> {
    const have = this.latest.get(uri);
    if (have && pred(have)) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms; last: ${JSON.stringify(this.latest.get(uri)?.diagnostics.map((d) => d.code))}`)), timeoutMs);
      this.waiters.push({ uri, pred, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  /** The next publish for `uri` with at least this document version. */
  nextDiagnostics(uri: string, version: number): Promise<PublishDiagnosticsParams> {
    return this.diagnostics(uri, (p) => (p.version ?? 0) >= version);
  }

  async shutdown(): Promise<number | null> {
    await this.conn.sendRequest('shutdown');
    await this.conn.sendNotification('exit');
    const code = await this.exitCode;
    this.conn.dispose();
    return code;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}
