// The server's stdio writer. Publishing diagnostics is its largest message and goes out on
// every keystroke: hundreds of diagnostics, nearly all the same objects as in the last
// publish (the server converts each finding once per document). The encoder keeps the
// encoded bytes of each diagnostic object, and the writer hands the kept buffers to the
// stream in one gathered write: no publish is stringified whole, nor copied into one
// buffer (hundreds of KB, fresh memory on every keystroke). Everything else is encoded as
// vscode-jsonrpc does.
import { AbstractMessageWriter, StreamMessageReader, type Message, type MessageWriter } from 'vscode-languageserver/node';

const PUBLISH = 'textDocument/publishDiagnostics';
const COMMA = Buffer.from(',');
const TAIL = Buffer.from(']}}');

/** Encoded diagnostics by object (a diagnostic object is never changed once sent). */
const encoded = new WeakMap<object, Buffer>();

/**
 * JSON with each character past ASCII written as its `\u` escape: the same value, in bytes a client decodes as
 * one-byte text (a message's `×` would make the whole publish two-byte text, twice the memory to read it into).
 */
const asciiJson = (json: string): string => json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function diagnosticBytes(d: object): Buffer {
  let b = encoded.get(d);
  if (!b) encoded.set(d, (b = Buffer.from(asciiJson(JSON.stringify(d)), 'latin1')));
  return b;
}

function publishParts(params: { uri: unknown; version?: unknown; diagnostics: object[] }): Buffer[] {
  const version = params.version === undefined ? '' : `"version":${JSON.stringify(params.version)},`;
  const parts: Buffer[] = [Buffer.from(asciiJson(`{"jsonrpc":"2.0","method":"${PUBLISH}","params":{"uri":${JSON.stringify(params.uri)},${version}"diagnostics":[`), 'latin1')];
  params.diagnostics.forEach((d, i) => {
    if (i) parts.push(COMMA);
    parts.push(diagnosticBytes(d));
  });
  parts.push(TAIL);
  return parts;
}

const isPublish = (msg: Message): msg is Message & { params: { uri: unknown; version?: unknown; diagnostics: object[] } } => {
  const m = msg as { method?: unknown; params?: Record<string, unknown> };
  return m.method === PUBLISH && !!m.params && Array.isArray(m.params.diagnostics) && Object.keys(m.params).every((k) => k === 'uri' || k === 'version' || k === 'diagnostics');
};

/** A message's JSON, in pieces that joined read as JSON.stringify's (a publish's in ASCII). */
export function messageParts(msg: Message): Buffer[] {
  return isPublish(msg) ? publishParts(msg.params) : [Buffer.from(JSON.stringify(msg), 'utf8')];
}

/**
 * Writes each message as its header and its pieces, corked into one write of them all (as
 * vscode-jsonrpc's writer does, less its copy of the whole message into one buffer).
 */
export class StdioMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(private readonly out: NodeJS.WritableStream) {
    super();
    out.on('error', (e: unknown) => this.fireError(e));
    out.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    let parts: Buffer[];
    try {
      parts = messageParts(msg);
    } catch (e) {
      this.fireError(e);
      return Promise.reject(e);
    }
    const length = parts.reduce((n, p) => n + p.length, 0);
    return new Promise((resolve, reject) => {
      const out = this.out as NodeJS.WritableStream & { cork(): void; uncork(): void };
      out.cork();
      out.write(`Content-Length: ${length}\r\n\r\n`, 'ascii');
      for (let i = 0; i < parts.length - 1; i++) out.write(parts[i]);
      out.write(parts[parts.length - 1], (e) => {
        if (!e) return resolve();
        this.fireError(e, msg, ++this.errorCount);
        reject(e);
      });
      out.uncork();
    });
  }

  end(): void {
    this.out.end();
  }
}

/** The reader and writer of `lsp --stdio`. */
export function stdioTransport(): [StreamMessageReader, StdioMessageWriter] {
  return [new StreamMessageReader(process.stdin), new StdioMessageWriter(process.stdout)];
}
