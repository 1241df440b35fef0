// The schema registry, read through its Confluent-compatible API (Confluent Schema Registry,
// Karapace, Apicurio's /apis/ccompat/v7): the writer schema of a Confluent wire-format record by
// its id. Each failure says what to do with it: a registry that cannot answer now is retried (the
// records wait, the pipeline is not ready); a registry that says the id does not exist, or answers
// something that is no schema, makes those records permanent failures (dead letters).
import { CdcFanoutError } from '../errors.js';
import { redactUrl } from '../observability/logger.js';

/** The registry is unreachable, overloaded, or refused our credentials: the same request may work later. */
export class RegistryUnavailableError extends CdcFanoutError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: true, cause });
  }
}

/** The registry answered for good: no schema with this id, or an answer that holds none. */
export class UnknownSchemaError extends CdcFanoutError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

export interface RegistryOptions {
  /** Base of the Confluent-compatible API (".../apis/ccompat/v7" for Apicurio). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly requestTimeoutMs: number;
}

export class RegistryClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  /** For messages: the URL without any credentials it holds. */
  readonly where: string;

  constructor(private readonly options: RegistryOptions) {
    // fetch refuses a URL holding credentials (and its error would quote them): they become the
    // basic-auth header instead, unless REGISTRY_USERNAME names other ones.
    const url = new URL(options.url);
    const fromUrl = {
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    };
    url.username = '';
    url.password = '';
    this.base = url.toString().replace(/\/+$/, '');
    this.where = redactUrl(this.base);
    this.headers = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    const { username, password } = options.username !== '' ? options : fromUrl;
    if (username !== '') {
      const token = Buffer.from(`${username}:${password}`).toString('base64');
      this.headers['authorization'] = `Basic ${token}`;
    }
  }

  /** The writer schema's text (the registry's "schema" string) of schema `id`. */
  async schemaText(id: number): Promise<string> {
    let response: Response;
    try {
      response = await fetch(`${this.base}/schemas/ids/${id}`, {
        headers: this.headers,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
    } catch (error) {
      throw new RegistryUnavailableError(
        `schema registry ${this.where} unreachable fetching schema ${id}: ${(error as Error).message}`,
        error,
      );
    }
    if (response.status === 404) {
      await response.body?.cancel();
      throw new UnknownSchemaError(`schema registry ${this.where} has no schema with id ${id}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      // 401/403 need an operator, 5xx and 429 patience: either way the records wait, not dead-letter.
      throw new RegistryUnavailableError(
        `schema registry ${this.where} answered HTTP ${response.status} fetching schema ${id}`,
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new UnknownSchemaError(
        `schema registry ${this.where} answered schema ${id} with no JSON: ${(error as Error).message}`,
      );
    }
    const schema = (body as { schema?: unknown } | null)?.schema;
    const type = (body as { schemaType?: unknown } | null)?.schemaType;
    if (type !== undefined && type !== 'AVRO') {
      throw new UnknownSchemaError(`schema ${id} is a ${String(type)} schema, not Avro`);
    }
    if (typeof schema !== 'string') {
      throw new UnknownSchemaError(
        `schema registry ${this.where} answered schema ${id} without a "schema" text`,
      );
    }
    return schema;
  }
}
