// The server's stdio writer. Publishing diagnostics is its largest message and goes out on
// every keystroke: hundreds of diagnostics, nearly all the same objects as in the last
// publish (the server converts each finding once per document). The JSON encoder keeps the
// encoded bytes of each diagnostic object, so a publish joins kept buffers instead of
// stringifying the whole list and converting it to bytes again. Everything else is
// encoded as vscode-jsonrpc does.
import { StreamMessageReader, StreamMessageWriter, type Message } from 'vscode-languageserver/node';

const PUBLISH = 'textDocument/publishDiagnostics';
const COMMA = Buffer.from(',');
const TAIL = Buffer.from(']}}');

/** Encoded diagnostics by object (a diagnostic object is never changed once sent). */
const encoded = new WeakMap<object, Buffer>();

function diagnosticBytes(d: object): Buffer {
  let b = encoded.get(d);
  if (!b) encoded.set(d, (b = Buffer.from(JSON.stringify(d), 'utf8')));
  return b;
}

function publishBytes(params: { uri: unknown; version?: unknown; diagnostics: object[] }): Buffer {
  const version = params.version === undefined ? '' : `"version":${JSON.stringify(params.version)},`;
  const parts: Buffer[] = [Buffer.from(`{"jsonrpc":"2.0","method":"${PUBLISH}","params":{"uri":${JSON.stringify(params.uri)},${version}"diagnostics":[`, 'utf8')];
  params.diagnostics.forEach((d, i) => {
    if (i) parts.push(COMMA);
    parts.push(diagnosticBytes(d));
  });
  parts.push(TAIL);
  return Buffer.concat(parts);
}

const isPublish = (msg: Message): msg is Message & { params: { uri: unknown; version?: unknown; diagnostics: object[] } } => {
  const m = msg as { method?: unknown; params?: Record<string, unknown> };
  return m.method === PUBLISH && !!m.params && Array.isArray(m.params.diagnostics) && Object.keys(m.params).every((k) => k === 'uri' || k === 'version' || k === 'diagnostics');
};

export const jsonEncoder = {
  name: 'application/json',
  encode(msg: Message, options: { charset: BufferEncoding }): Promise<Uint8Array> {
    try {
      if (options.charset === 'utf-8' && isPublish(msg)) return Promise.resolve(publishBytes(msg.params));
      return Promise.resolve(Buffer.from(JSON.stringify(msg, undefined, 0), options.charset));
    } catch (err) {
      return Promise.reject(err);
    }
  },
};

/** The reader and writer of `lsp --stdio`. */
export function stdioTransport(): [StreamMessageReader, StreamMessageWriter] {
  return [new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout, { charset: 'utf-8', contentTypeEncoder: jsonEncoder })];
}
