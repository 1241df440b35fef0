// The registry client against the stack's real registry (Apicurio's Confluent-compatible API): a
// schema the Avro connector registered comes back as its text, an id nobody registered is a
// permanent UnknownSchemaError, and a registry that is not there a retriable RegistryUnavailableError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileWriterSchema } from '../../../src/decoder/avro/schema.js';
import {
  RegistryClient,
  RegistryUnavailableError,
  UnknownSchemaError,
} from '../../../src/registry/client.js';
import { avroStack, avroStackMissing } from '../support/avro.js';

const skip = await avroStackMissing();
const client = (url: string) =>
  new RegistryClient({ url, username: '', password: '', requestTimeoutMs: 5000 });

test(
  'a registered writer schema is fetched by id and compiles, with credentials in the URL',
  { skip },
  async () => {
    const subject = `${avroStack.topicPrefix}.inventory.hard_types-value`;
    const latest = (await (
      await fetch(`${avroStack.registryUrl}/subjects/${subject}/versions/latest`)
    ).json()) as { id: number };
    // Credentials in REGISTRY_URL travel as basic auth (fetch refuses them in the URL); Apicurio
    // without auth ignores them.
    const withCredentials = avroStack.registryUrl.replace('://', '://reader:s3cret@');
    const text = await client(withCredentials).schemaText(latest.id);
    const compiled = compileWriterSchema(text);
    assert.ok(typeof compiled !== 'string', String(compiled));
    assert.equal(compiled.connect['name'], `${avroStack.topicPrefix}.inventory.hard_types.Envelope`);
  },
);

test('an id the registry never gave out is a permanent UnknownSchemaError', { skip }, async () => {
  await assert.rejects(client(avroStack.registryUrl).schemaText(987_654_321), (error: unknown) => {
    assert.ok(error instanceof UnknownSchemaError, String(error));
    assert.equal(error.retriable, false);
    return true;
  });
});

test('a registry that is not there is a retriable RegistryUnavailableError, credentials not named', async () => {
  await assert.rejects(
    client('http://user:secret@127.0.0.1:1/apis/ccompat/v7').schemaText(1),
    (error: unknown) => {
      assert.ok(error instanceof RegistryUnavailableError, String(error));
      assert.equal(error.retriable, true);
      assert.doesNotMatch(error.message, /secret/);
      return true;
    },
  );
});
