import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  basicAuthSecrets,
  createLogger,
  redactUrl,
  scrubText,
  secretValues,
} from '../../../src/observability/logger.js';

/** A logger writing into an array, and the lines it wrote (raw text and parsed). */
function capture(secrets: readonly string[] = [], level = 'info') {
  const lines: string[] = [];
  const logger = createLogger(level, secrets, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    text: () => lines.join(''),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  test('writes one JSON line per record, with level, service and message', () => {
    const { logger, records } = capture();
    logger.info({ table: 'public.orders' }, 'hello');
    logger.debug('not at info');
    const [record, ...rest] = records();
    assert.equal(rest.length, 0);
    assert.equal(record?.level, 30);
    assert.equal(record?.service, 'cdc-fanout');
    assert.equal(record?.msg, 'hello');
    assert.equal(record?.table, 'public.orders');
  });

  test('a secret value is redacted in the message, in nested fields and in errors', () => {
    const secret = 'Sup3rS3cret!';
    const { logger, text, records } = capture([secret]);
    logger.info(`connecting with ${secret}`);
    logger.warn({ detail: { note: `token=${secret}`, list: [secret] } }, 'nested');
    logger.error({ err: new Error(`auth failed for mongodb://app:${secret}@db:27017`) }, 'driver error');
    assert.ok(!text().includes(secret), text());
    const [message, nested, error] = records();
    assert.equal(message?.msg, 'connecting with [redacted]');
    assert.deepEqual(nested?.detail, { note: 'token=[redacted]', list: ['[redacted]'] });
    const err = error?.err as { message: string; stack: string };
    assert.equal(err.message, 'auth failed for mongodb://app:[redacted]@db:27017');
    assert.ok(err.stack.includes('[redacted]'));
  });

  test('secrets with characters JSON escapes (quote, backslash, tab) are redacted too', () => {
    for (const secret of ['pa"ss"wd', 'c:\\pass\\wd', 'tab\there', 'snow☃man', 'quo"te\\mix']) {
      const { logger, text, records } = capture([secret]);
      logger.info({ nested: { value: secret } }, `message ${secret}`);
      logger.error({ err: new Error(`failed: ${secret}`) }, 'error');
      const [record, error] = records();
      for (const found of [record?.msg, JSON.stringify(record?.nested), JSON.stringify(error?.err)])
        assert.ok(!String(found).includes(secret), `${JSON.stringify(secret)} leaked: ${text()}`);
      assert.equal(record?.msg, 'message [redacted]');
    }
  });

  test('known secret fields are redacted by path whatever their value', () => {
    const { logger, records } = capture();
    logger.info(
      {
        password: 'p',
        apiKey: 'k',
        url: 'http://h',
        elasticsearch: { password: 'p', apiKey: 'k', url: 'https://u:p@h' },
        config: { mongodb: { url: 'mongodb://u:p@h' } },
      },
      'settings',
    );
    const [record] = records();
    assert.equal(record?.password, '[redacted]');
    assert.equal(record?.apiKey, '[redacted]');
    assert.equal(record?.url, '[redacted]');
    assert.deepEqual(record?.elasticsearch, {
      password: '[redacted]',
      apiKey: '[redacted]',
      url: '[redacted]',
    });
    assert.deepEqual(record?.config, { mongodb: { url: '[redacted]' } });
  });

  test('without secrets, lines pass through untouched', () => {
    const { logger, records } = capture([]);
    logger.info('[redacted] is just text here');
    assert.equal(records()[0]?.msg, '[redacted] is just text here');
  });
});

describe('secretValues', () => {
  test('extracts the password of a URL and its URL-decoded form', () => {
    assert.deepEqual(
      secretValues(['postgres://app:p%40ss%2Fw0rd@db:5432/inv']).sort(),
      ['p%40ss%2Fw0rd', 'p@ss/w0rd'].sort(),
    );
    assert.deepEqual(secretValues(['https://elastic:changeme@es:9200']), ['changeme']);
  });

  test('a URL without password is no secret (the host stays loggable)', () => {
    assert.deepEqual(secretValues(['http://127.0.0.1:9200', 'mongodb://user@db:27017', '']), []);
  });

  test('a value that is not a URL is a secret as a whole (passwords, API keys)', () => {
    assert.deepEqual(secretValues(['my-api-key==', 'hunter2']), ['my-api-key==', 'hunter2']);
  });

  test('very short values are ignored (they would redact ordinary text)', () => {
    assert.deepEqual(secretValues(['ab', 'http://u:xy@h']), []);
  });

  test('a multi-host MongoDB URL (replica set) yields its password', () => {
    const secrets = secretValues([
      'mongodb://app:r3pl%21ca@db1:27017,db2:27017,db3:27017/cdc?replicaSet=rs0',
    ]);
    assert.ok(secrets.includes('r3pl%21ca'), JSON.stringify(secrets));
    assert.ok(secrets.includes('r3pl!ca'), JSON.stringify(secrets));
  });

  test('end to end: a driver message quoting the decoded password is redacted', () => {
    const { logger, text } = capture(secretValues(['postgres://app:p%40ssw0rd@db/inv']));
    logger.error('password authentication failed: p@ssw0rd');
    assert.ok(!text().includes('p@ssw0rd'));
    assert.ok(text().includes('[redacted]'));
  });
});

describe('basicAuthSecrets', () => {
  test('the Basic header value of URL credentials (decoded) and of user/password pairs', () => {
    const encoded = (text: string) => Buffer.from(text).toString('base64');
    assert.deepEqual(basicAuthSecrets(['https://elastic:p%40ss@es:9200', 'http://127.0.0.1:9200']), [
      encoded('elastic:p@ss'),
    ]);
    assert.deepEqual(basicAuthSecrets([], [['elastic', 'changeme']]), [encoded('elastic:changeme')]);
    assert.deepEqual(basicAuthSecrets(['not a url', 'mongodb://user@db'], [['nobody', '']]), []);
  });

  test('a logged Authorization header is redacted', () => {
    const header = `Basic ${Buffer.from('elastic:changeme').toString('base64')}`;
    const { logger, text } = capture(basicAuthSecrets(['http://elastic:changeme@es:9200']));
    logger.error({ headers: { authorization: header } }, 'request failed');
    assert.ok(!text().includes(header.slice(6)));
  });
});

describe('scrubText', () => {
  test('replaces every secret, longest first', () => {
    assert.equal(
      scrubText('connect to postgres://app:s3cret-long@db failed: s3cret', ['s3cret', 's3cret-long']),
      'connect to postgres://app:[redacted]@db failed: [redacted]',
    );
    assert.equal(scrubText('nothing here', []), 'nothing here');
  });
});

describe('redactUrl', () => {
  test('removes user and password', () => {
    const redacted = redactUrl('postgres://app:s3cret@db.example:5432/inventory');
    assert.ok(!redacted.includes('s3cret'));
    assert.ok(!redacted.includes('app'));
    assert.match(redacted, /db\.example:5432\/inventory/);
    assert.ok(!redactUrl('https://elastic:changeme@es:9200/').includes('changeme'));
  });

  test('leaves a URL without credentials as it is', () => {
    assert.equal(redactUrl('http://127.0.0.1:9200/'), 'http://127.0.0.1:9200/');
  });

  test('an unparseable URL is hidden entirely rather than risk a leak', () => {
    assert.equal(redactUrl('not a url with hunter2'), '[unparseable url]');
  });
});
