// The operator's HTTP surface: /metrics for Prometheus, /healthz (the process is alive) and
// /readyz (every pipeline joined its group, writes without retrying, and its sink answers).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  readonly name: string;
  readonly ready: boolean;
  readonly reason: string | null;
}

export interface HttpSurfaceOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly readiness: () => readonly ReadinessCheck[];
}

export class HttpSurface {
  private readonly server: Server;

  constructor(private readonly options: HttpSurfaceOptions) {
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const reply = (status: number, contentType: string, body: string) => {
        response.writeHead(status, { 'content-type': contentType });
        response.end(body);
      };
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return reply(405, 'text/plain', 'method not allowed\n');
      switch (path) {
        case '/metrics':
          this.options.registry
            .metrics()
            .then((text) => reply(200, this.options.registry.contentType, text))
            .catch((error: unknown) => reply(500, 'text/plain', `metrics failed: ${String(error)}\n`));
          return;
        case '/healthz':
          return reply(200, 'application/json', '{"status":"alive"}\n');
        case '/readyz': {
          const checks = this.options.readiness();
          const ready = checks.length > 0 && checks.every((check) => check.ready);
          return reply(ready ? 200 : 503, 'application/json', `${JSON.stringify({ ready, checks })}\n`);
        }
        default:
          return reply(404, 'text/plain', 'not found: try /metrics, /healthz or /readyz\n');
      }
    });
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
