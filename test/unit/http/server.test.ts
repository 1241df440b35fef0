import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { HttpSurface, type ReadinessCheck } from '../../../src/http/server.js';

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

function call(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HttpSurface', () => {
  const registry = new Registry();
  const counter = new Counter({
    name: 'cdc_fanout_test_events_total',
    help: 'A counter for the test.',
    labelNames: ['sink'],
    registers: [registry],
  });
  let checks: ReadinessCheck[] = [];
  const surface = new HttpSurface({ host: '127.0.0.1', port: 0, registry, readiness: () => checks });
  let port = 0;

  before(async () => {
    const address = await surface.listen();
    port = address.port;
  });
  after(async () => {
    await surface.close();
  });

  test('listens on a free port when asked for port 0', () => {
    assert.ok(port > 0);
  });

  test('GET /metrics answers the registry in Prometheus text format', async () => {
    counter.inc({ sink: 'mongodb' }, 3);
    const answer = await call(port, '/metrics');
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, registry.contentType);
    assert.match(answer.contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(answer.body, /^# HELP cdc_fanout_test_events_total A counter for the test\.$/m);
    assert.match(answer.body, /^# TYPE cdc_fanout_test_events_total counter$/m);
    assert.match(answer.body, /^cdc_fanout_test_events_total\{sink="mongodb"\} 3$/m);
  });

  test('a query string does not change the path', async () => {
    assert.equal((await call(port, '/metrics?name[]=x')).status, 200);
    assert.equal((await call(port, '/healthz?probe=1')).status, 200);
  });

  test('GET /healthz is 200 whatever the readiness', async () => {
    checks = [{ name: 'elasticsearch', ready: false, reason: 'down' }];
    const answer = await call(port, '/healthz');
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { status: 'alive' });
  });

  test('GET /readyz is 503 while a check is not ready, naming it', async () => {
    checks = [
      { name: 'elasticsearch', ready: true, reason: null },
      { name: 'mongodb', ready: false, reason: 'retrying writes' },
    ];
    const answer = await call(port, '/readyz');
    assert.equal(answer.status, 503);
    assert.match(answer.contentType, /^application\/json/);
    assert.deepEqual(JSON.parse(answer.body), { ready: false, checks });
  });

  test('GET /readyz is 200 once every check is ready', async () => {
    checks = [
      { name: 'elasticsearch', ready: true, reason: null },
      { name: 'mongodb', ready: true, reason: null },
    ];
    const answer = await call(port, '/readyz');
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { ready: true, checks });
  });

  test('GET /readyz is 503 with no checks at all (nothing started yet)', async () => {
    checks = [];
    assert.equal((await call(port, '/readyz')).status, 503);
  });

  test('other paths are 404', async () => {
    for (const path of ['/', '/metric', '/healthz/x', '/READYZ']) {
      const answer = await call(port, path);
      assert.equal(answer.status, 404, path);
      assert.match(answer.body, /not found/);
    }
  });

  test('methods other than GET and HEAD are 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const answer = await call(port, '/metrics', method);
      assert.equal(answer.status, 405, method);
      assert.match(answer.body, /method not allowed/);
    }
    assert.equal((await call(port, '/nowhere', 'POST')).status, 405);
  });

  test('HEAD is allowed and has no body', async () => {
    const answer = await call(port, '/healthz', 'HEAD');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '');
  });

  test('a failing registry answers 500, and the server keeps serving', async () => {
    const failing = new Registry();
    failing.metrics = async () => {
      throw new Error('collect failed');
    };
    const other = new HttpSurface({ host: '127.0.0.1', port: 0, registry: failing, readiness: () => [] });
    const { port: otherPort } = await other.listen();
    try {
      const answer = await call(otherPort, '/metrics');
      assert.equal(answer.status, 500);
      assert.match(answer.body, /collect failed/);
      assert.equal((await call(otherPort, '/healthz')).status, 200);
    } finally {
      await other.close();
    }
  });

  test('listen fails when the port is taken', async () => {
    const clash = new HttpSurface({ host: '127.0.0.1', port, registry, readiness: () => [] });
    await assert.rejects(clash.listen(), /EADDRINUSE/);
  });
});
