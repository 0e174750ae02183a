/**
 * A local server answering the S3 object calls the evidence store makes (path-style PUT, GET, HEAD), as S3
 * does on the wire: XML error documents, 404 NoSuchKey, 412 PreconditionFailed for `If-None-Match: *` on an
 * existing key. Tests run the real AWS SDK against it.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3ObjectServer {
  url: string;
  /** Stored objects by `bucket/key`. */
  objects: Map<string, Buffer>;
  /** Every request as `METHOD /bucket/key` plus the status answered. */
  requests: string[];
  /** Keys HEAD pretends not to see: replays a writer that stored the object between our HEAD and PUT. */
  hiddenFromHead: Set<string>;
  close(): Promise<void>;
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>0</RequestId></Error>`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  // aws-chunked (streaming checksums): "<hex size>;…\r\n<data>\r\n" … "0\r\n<trailers>\r\n\r\n".
  if (!String(req.headers['content-encoding'] ?? '').includes('aws-chunked')) return raw;
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!size) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startS3ObjectServer(): Promise<S3ObjectServer> {
  const objects = new Map<string, Buffer>();
  const requests: string[] = [];
  const hiddenFromHead = new Set<string>();
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
    const body = await readBody(req);
    const stored = req.method === 'HEAD' && hiddenFromHead.has(path) ? undefined : objects.get(path);
    const fail = (status: number, code: string, message: string) => {
      requests.push(`${req.method} /${path} ${status}`);
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(req.method === 'HEAD' ? undefined : errorXml(code, message));
    };
    if (req.method === 'PUT') {
      if (req.headers['if-none-match'] === '*' && stored)
        return fail(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        );
      objects.set(path, body);
      requests.push(`${req.method} /${path} 200`);
      res.writeHead(200, { etag: '"0"' });
      return res.end();
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (!stored) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': stored.length,
        etag: '"0"',
      });
      return res.end(req.method === 'HEAD' ? undefined : stored);
    }
    return fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    hiddenFromHead,
    close: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
