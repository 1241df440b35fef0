// Kafka Connect's REST API, just what the sink-connector peers need.
import type { Endpoints } from './endpoints.js';

async function request(
  endpoints: Endpoints,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${endpoints.connectUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

export async function hasPlugin(endpoints: Endpoints, connectorClass: string): Promise<boolean> {
  const response = await request(endpoints, 'GET', '/connector-plugins?connectorsOnly=true');
  if (!response.ok)
    throw new Error(`Connect ${endpoints.connectUrl}: GET /connector-plugins ${response.status}`);
  return ((await response.json()) as Array<{ class: string }>).some((p) => p.class === connectorClass);
}

/** Creates (or replaces) a connector; 409 (the worker's group rebalancing) is retried for a minute. */
export async function putConnector(
  endpoints: Endpoints,
  name: string,
  config: Record<string, string>,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await request(
      endpoints,
      'PUT',
      `/connectors/${encodeURIComponent(name)}/config`,
      config,
    );
    if (response.ok) return;
    const text = await response.text();
    if (response.status !== 409 || Date.now() > deadline) {
      throw new Error(`registering connector ${name} failed: HTTP ${response.status} ${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function deleteConnector(endpoints: Endpoints, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await request(endpoints, 'DELETE', `/connectors/${encodeURIComponent(name)}`);
    if (response.ok || response.status === 404) return;
    if (response.status !== 409 || Date.now() > deadline) {
      throw new Error(`deleting connector ${name} failed: HTTP ${response.status} ${await response.text()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function listConnectors(endpoints: Endpoints): Promise<string[]> {
  const response = await request(endpoints, 'GET', '/connectors');
  return response.ok ? ((await response.json()) as string[]) : [];
}

/** The failure of the connector or one of its tasks (state and the trace's first lines), if any. */
export async function connectorFailure(endpoints: Endpoints, name: string): Promise<string | undefined> {
  const response = await request(endpoints, 'GET', `/connectors/${encodeURIComponent(name)}/status`);
  if (!response.ok) return undefined;
  const status = (await response.json()) as {
    connector: { state: string; trace?: string };
    tasks: Array<{ id: number; state: string; trace?: string }>;
  };
  const failed = [
    { what: 'connector', state: status.connector.state, trace: status.connector.trace },
    ...status.tasks.map((t) => ({ what: `task ${t.id}`, state: t.state, trace: t.trace })),
  ].find((s) => s.state === 'FAILED');
  if (!failed) return undefined;
  return `${name} ${failed.what} FAILED: ${summarizeTrace(failed.trace ?? '')}`;
}

/** A Java stack trace's message lines (the first line and every "Caused by"), without the frames. */
export function summarizeTrace(trace: string): string {
  const lines = trace.split('\n').map((l) => l.trim());
  const messages = lines.filter((l, i) => i === 0 || l.startsWith('Caused by:'));
  return messages.join(' <- ').slice(0, 2000);
}
