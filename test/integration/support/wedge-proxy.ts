// A TCP proxy in front of a MongoDB server that can wedge it the way FerretDB once wedged: it
// keeps answering the handshake and `ping`, while every other command is swallowed unanswered.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** The command name of an OP_MSG (opcode 2013): the first key of its body section, or null. */
function commandName(message: Buffer): string | null {
  if (message.readInt32LE(12) !== 2013 || message[20] !== 0) return null;
  // header (16) + flagBits (4) + section kind (1) + document length (4) + element type (1)
  const start = 26;
  const end = message.indexOf(0, start);
  return end > start ? message.toString('utf8', start, end) : null;
}

const ALWAYS_ANSWERED = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'buildInfo', 'endSessions']);

export class WedgeProxy {
  /** While true, commands other than the handshake and ping get no answer. */
  wedged = false;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(target: { host: string; port: number }) {
    this.server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      this.sockets.add(client).add(upstream);
      let pending = Buffer.alloc(0);
      client.on('data', (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
          const message = pending.subarray(0, pending.readInt32LE(0));
          pending = pending.subarray(message.length);
          const name = commandName(message);
          if (!this.wedged || (name !== null && ALWAYS_ANSWERED.has(name))) upstream.write(message);
        }
      });
      upstream.pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
  }

  static async start(target: { host: string; port: number }): Promise<WedgeProxy> {
    const proxy = new WedgeProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `mongodb://127.0.0.1:${(this.server.address() as AddressInfo).port}/?directConnection=true`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
