import { DeleteObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { IncomingMessage, Server, ServerResponse, createServer, request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * An HTTP proxy on loopback in front of a real S3-compatible server, for
 * tests that inspect or alter what the platform sends. It records every
 * request and the key count of each DeleteObjects. While `failingKeys` is not
 * empty, it handles DeleteObjects itself: it deletes the other keys on the
 * real server and reports the failing ones as `AccessDenied` in a 200
 * response, as S3 does for keys it cannot delete.
 */
export class S3FaultProxy {
  readonly failingKeys = new Set<string>();
  readonly requests: Array<{ method: string; path: string }> = [];
  readonly deleteObjectsKeyCounts: number[] = [];
  private server?: Server;
  private readonly target: URL;

  constructor(
    targetEndpoint: string,
    private readonly realClient: S3Client,
  ) {
    this.target = new URL(targetEndpoint);
  }

  async start(): Promise<string> {
    this.server = createServer((incoming, outgoing) => {
      this.handle(incoming, outgoing).catch((error: Error) => {
        outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy failed: ${error.message}`);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const body = await readBody(incoming);
    const url = new URL(incoming.url ?? '/', 'http://proxy');
    this.requests.push({ method: incoming.method ?? 'GET', path: url.pathname + url.search });

    if (incoming.method === 'POST' && url.searchParams.has('delete')) {
      const keys = [...body.toString('utf8').matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((match) => unescapeXml(match[1]));
      this.deleteObjectsKeyCounts.push(keys.length);
      const failing = keys.filter((key) => this.failingKeys.has(key));
      if (failing.length > 0) {
        await this.answerWithFailures(url, keys, failing, outgoing);
        return;
      }
    }
    await this.forward(incoming, body, outgoing);
  }

  private async answerWithFailures(url: URL, keys: string[], failing: string[], outgoing: ServerResponse): Promise<void> {
    const bucket = url.pathname.split('/').filter(Boolean)[0];
    const deletable = keys.filter((key) => !this.failingKeys.has(key));
    if (deletable.length > 0) {
      await this.realClient.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: deletable.map((Key) => ({ Key })), Quiet: true } }));
    }
    const errors = failing
      .map((key) => `<Error><Key>${escapeXml(key)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
      .join('');
    outgoing
      .writeHead(200, { 'content-type': 'application/xml' })
      .end(`<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${errors}</DeleteResult>`);
  }

  private forward(incoming: IncomingMessage, body: Buffer, outgoing: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        {
          host: this.target.hostname,
          port: this.target.port,
          method: incoming.method,
          path: incoming.url,
          // The Host header is kept as the client signed it, so SigV4 signatures stay valid.
          headers: incoming.headers,
        },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
          response.on('end', () => resolve());
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
