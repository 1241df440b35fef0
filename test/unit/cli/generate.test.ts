import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMix } from '../../../src/cli/generate.js';
import { ConfigError } from '../../../src/errors.js';

describe('parseMix', () => {
  test('"I:U:D" becomes the weights of inserts, updates and deletes', () => {
    assert.deepEqual(parseMix('1:2:1'), { insert: 1, update: 2, delete: 1 });
    assert.deepEqual(parseMix(' 0 : 1 : 0.5 '), { insert: 0, update: 1, delete: 0.5 });
  });

  test('anything else is a ConfigError naming the option', () => {
    for (const text of ['', '1:2', '1:2:3:4', 'a:b:c', '-1:1:1', '0:0:0', '1::1', 'Infinity:1:1']) {
      assert.throws(
        () => parseMix(text),
        (error: unknown) => error instanceof ConfigError && /--mix/.test(error.message),
        text,
      );
    }
  });
});
