// Connection settings are checked at start, like every other value: a malformed URL or broker
// address used to surface only when the sink client was built, after the HTTP server was up, with
// the driver's words and no variable name. The messages never repeat the value: it may hold a
// password.

function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

/** "host:port" with a non-empty host (a bracketed IPv6 address is allowed) and a port 1-65535. */
export function checkHostPort(address: string, what: string): void {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):([^:]*)$/.exec(address);
  if (!match || !isPort(match[2]!))
    throw new Error(`every ${what} must be host:port with a port from 1 to 65535`);
}

/** A URL of one of the given schemes with a host (and a valid port when one is given). */
export function checkUrl(value: unknown, schemes: readonly string[]): void {
  const expected = `must be a URL starting with ${schemes.map((scheme) => `${scheme}//`).join(' or ')}`;
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new Error(`${expected}, with a host`);
  }
  if (!schemes.includes(url.protocol)) throw new Error(expected);
  if (url.hostname === '') throw new Error(`${expected}, with a host`);
}

/** A MongoDB connection string: its scheme, and every host's port, as the driver will read them. */
export function checkMongoUrl(value: unknown): void {
  const match = /^mongodb(\+srv)?:\/\/([^/?]*)/.exec(String(value));
  if (!match)
    throw new Error('must be a MongoDB connection string starting with mongodb:// or mongodb+srv://');
  // The hosts follow the credentials, if any: "user:password@host1:port,host2".
  const hosts = match[2]!.slice(match[2]!.lastIndexOf('@') + 1).split(',');
  for (const host of hosts) {
    const port = /^(?:\[[^\]]*\]|[^:[\]]+)(?::(.*))?$/.exec(host);
    if (!port || (port[1] !== undefined && !isPort(port[1])))
      throw new Error('must name every host as host or host:port with a port from 1 to 65535');
  }
}
