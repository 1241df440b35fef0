// An HTTP proxy in front of the real Elasticsearch that can hold requests whose path matches a
// pattern for a while before passing them on: a slow sink on demand, so a test can act (send
// SIGTERM, stop a component) while a write is certainly in flight. Everything else passes as is.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Hold {
  readonly pattern: RegExp;
  /** Only requests whose body matches too. */
  readonly body?: RegExp;
  readonly ms: number;
}

export class DelayProxy {
  private readonly server: http.Server;
  private delay: Hold | null = null;
  /** Requests held so far (method and path), for the test to wait on. */
  readonly held: string[] = [];

  constructor(private readonly target: URL) {
    this.server = http.createServer((request, response) => void this.forward(request, response));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on, requests whose path (and body) match wait `ms` before they are passed on; null: none. */
  hold(delay: Hold | null): void {
    this.delay = delay;
  }

  private async forward(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body: Buffer[] = [];
    for await (const chunk of request) body.push(chunk as Buffer);
    const delay = this.delay;
    if (
      delay &&
      delay.pattern.test(request.url ?? '') &&
      (!delay.body || delay.body.test(Buffer.concat(body).toString()))
    ) {
      this.held.push(`${request.method} ${request.url}`);
      await new Promise((resolve) => setTimeout(resolve, delay.ms));
    }
    const upstream = http.request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      response.writeHead(502);
      response.end(String(error));
    });
    upstream.end(Buffer.concat(body));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
