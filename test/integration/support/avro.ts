// The Avro pipeline of the local stack (stack/up.sh registry): Apicurio Registry and the second
// Debezium connector (debezium/postgres-connector-avro.json), which writes the same tables in the
// Confluent wire format under its own topic prefix and publication. `npm test` starts both; a
// developer's narrower run may not, so the Avro tests skip, saying why, when either is missing;
// under CI (CI=true) a missing one is a failure, never a quiet skip.

export const avroStack = {
  /** The registry's Confluent-compatible API, as the service's REGISTRY_URL names it. */
  registryUrl: process.env.REGISTRY_URL ?? 'http://127.0.0.1:8085/apis/ccompat/v7',
  connectUrl: process.env.CONNECT_URL ?? 'http://127.0.0.1:8083',
  topicPrefix: process.env.AVRO_TOPIC_PREFIX ?? 'cdc_avro',
  publication: process.env.AVRO_PUBLICATION ?? 'cdc_fanout_avro',
  connector: process.env.AVRO_CONNECTOR ?? 'cdc-inventory-avro',
};

export function avroTableTopic(table: string): string {
  return `${avroStack.topicPrefix}.inventory.${table}`;
}

async function answers(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

/**
 * Why the Avro tests cannot run here, or undefined when the registry answers and the Avro
 * connector runs. Used as node:test's `skip`, so a run without the registry says so.
 */
export async function avroStackMissing(): Promise<string | undefined> {
  const missing = await whyMissing();
  if (missing !== undefined && process.env.CI === 'true')
    throw new Error(`the Avro pipeline must run under CI: ${missing}`);
  return missing;
}

async function whyMissing(): Promise<string | undefined> {
  try {
    await answers(`${avroStack.registryUrl}/subjects`);
  } catch (error) {
    return `no schema registry at REGISTRY_URL=${avroStack.registryUrl} (${(error as Error).message}); start it with: bash stack/up.sh registry`;
  }
  try {
    const status = (await answers(`${avroStack.connectUrl}/connectors/${avroStack.connector}/status`)) as {
      connector: { state: string };
    };
    if (status.connector.state !== 'RUNNING')
      return `connector ${avroStack.connector} is ${status.connector.state}`;
  } catch (error) {
    return `no Avro connector ${avroStack.connector} at CONNECT_URL=${avroStack.connectUrl} (${(error as Error).message}); start it with: bash stack/up.sh registry`;
  }
  return undefined;
}

/** The registry's text of the writer schema `id` (the Confluent-compatible API). */
export async function writerSchema(id: number): Promise<unknown> {
  const body = (await answers(`${avroStack.registryUrl}/schemas/ids/${id}`)) as {
    schema: string;
  };
  return JSON.parse(body.schema) as unknown;
}
