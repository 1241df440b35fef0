// JSON logs through pino. Secrets never reach a log line: known secret fields are redacted by
// path, and, as a last line of defence, every serialized line is scrubbed of the secret values
// themselves (a driver error may quote a connection string).
import pino, { type DestinationStream, type Logger } from 'pino';

const SECRET_PATHS = [
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'url',
  '*.url',
  '*.*.url',
  '*.*.password',
  '*.*.apiKey',
];

/** The secret values hidden in settings: passwords, API keys, and credentials inside URLs. */
export function secretValues(values: readonly string[]): string[] {
  const secrets = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    let password: string | undefined;
    try {
      password = new URL(value).password;
    } catch {
      // Not a URL as a whole: a plain secret, or a multi-host mongodb:// string whose
      // "scheme://user:password@" prefix still holds a password.
      secrets.add(value);
      password = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^/@]*)@/i.exec(value)?.[1];
    }
    if (password) {
      secrets.add(password);
      try {
        secrets.add(decodeURIComponent(password));
      } catch {
        // Not valid percent-encoding: the password is used as written.
      }
    }
  }
  return [...secrets].filter((secret) => secret.length >= 3);
}

/**
 * The Basic authorization header values (base64 of "user:password") of credentials in URLs and of
 * explicit user/password pairs: a driver error that quotes its request headers must not carry them.
 */
export function basicAuthSecrets(
  urls: readonly string[],
  pairs: ReadonlyArray<readonly [string, string]> = [],
): string[] {
  const credentials: Array<readonly [string, string]> = [...pairs];
  for (const url of urls) {
    try {
      const parsed = new URL(url);
      if (parsed.password) {
        const decode = (text: string) => {
          try {
            return decodeURIComponent(text);
          } catch {
            return text;
          }
        };
        credentials.push([decode(parsed.username), decode(parsed.password)]);
      }
    } catch {
      // Not a URL: no user:password pair to encode.
    }
  }
  return [
    ...new Set(
      credentials
        .filter(([, password]) => password.length > 0)
        .map(([user, password]) => Buffer.from(`${user}:${password}`).toString('base64')),
    ),
  ];
}

/** The text with every secret replaced by [redacted], longest first. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret) clean = clean.split(secret).join('[redacted]');
  }
  return clean;
}

function scrubbing(target: DestinationStream, secrets: readonly string[]): DestinationStream {
  if (secrets.length === 0) return target;
  // Lines are JSON: a secret with a quote, a backslash or a control character appears escaped.
  const forms = [...new Set(secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]))];
  forms.sort((a, b) => b.length - a.length);
  return {
    write(line: string) {
      let clean = line;
      for (const secret of forms) clean = clean.split(secret).join('[redacted]');
      target.write(clean);
    },
  };
}

export function createLogger(
  level: string,
  secrets: readonly string[] = [],
  destination: DestinationStream = pino.destination({ dest: 1, sync: false }),
): Logger {
  return pino(
    { level, base: { service: 'cdc-fanout' }, redact: { paths: SECRET_PATHS, censor: '[redacted]' } },
    scrubbing(destination, secrets),
  );
}

/** The URL with any user:password removed, safe to log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '[redacted]';
      parsed.password = '';
    }
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
