// Every command and its flags, in one place: parsing (node:util parseArgs) and `--help` both read
// them, so the help never misses a flag a command accepts. Loaded by main before any command, it
// must stay light: no driver, no faker.
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';

interface Flag {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly default?: string;
  /** What the value looks like in the help ("S.T", "N"); none for a boolean. */
  readonly value?: string;
  readonly doc: string;
}

interface Command {
  readonly summary: string;
  readonly flags: Readonly<Record<string, Flag>>;
}

export const COMMANDS = {
  start: {
    summary: 'run the service, configured by environment variables (see .env.example)',
    flags: {},
  },
  verify: {
    summary: 'compare Postgres with each sink: counts, missing, extra, different; exit 1 on any drift',
    flags: {
      table: {
        type: 'string',
        multiple: true,
        value: 'S.T',
        doc: 'a table to compare (repeatable); default: every consumed table',
      },
      sink: {
        type: 'string',
        multiple: true,
        value: 'SINK',
        doc: 'elasticsearch or mongodb (repeatable); default: SINKS',
      },
      json: { type: 'boolean', doc: 'print the reports as JSON' },
    },
  },
  resync: {
    summary: 'rebuild a table in every target of the sinks from Postgres; safe while the service runs',
    flags: {
      table: { type: 'string', value: 'S.T', doc: 'the table to rebuild (required)' },
      sink: {
        type: 'string',
        multiple: true,
        value: 'SINK',
        doc: 'elasticsearch or mongodb (repeatable); default: SINKS',
      },
    },
  },
  reindex: {
    summary:
      "rebuild a table's Elasticsearch index (or MongoDB collection) into a new one while the service runs, then switch readers to it",
    flags: {
      table: { type: 'string', value: 'S.T', doc: 'the table to reindex (required)' },
      index: {
        type: 'string',
        value: 'NAME',
        doc: 'which of its Elasticsearch indices, when TABLES writes the table to several (required then)',
      },
      collection: {
        type: 'string',
        value: 'NAME',
        doc: 'which of its MongoDB collections, when TABLES writes the table to several (required then)',
      },
      sink: {
        type: 'string',
        multiple: true,
        value: 'SINK',
        doc: 'elasticsearch or mongodb (repeatable); default: SINKS',
      },
      grace: {
        type: 'string',
        default: '60s',
        value: 'D',
        doc: 'how long the old Elasticsearch index is kept after the switch, e.g. 60s, 10m; 0 deletes it at once (MongoDB: the rename drops the old collection)',
      },
    },
  },
  generate: {
    summary: 'inserts, updates and deletes on the demo schema at a chosen rate',
    flags: {
      rate: { type: 'string', default: '100', value: 'N', doc: 'changes per second' },
      duration: { type: 'string', default: '30s', value: 'D', doc: 'how long: 30s, 2m, 500ms' },
      tables: {
        type: 'string',
        default: 'customers,orders,hard_types',
        value: 'T,...',
        doc: 'demo tables to change',
      },
      seed: { type: 'string', value: 'S', doc: 'random seed, for a repeatable run' },
      connections: { type: 'string', default: '4', value: 'N', doc: 'Postgres connections' },
      mix: {
        type: 'string',
        value: 'I:U:D',
        doc: 'weights of inserts, updates and deletes (default 50:35:15)',
      },
      json: { type: 'boolean', doc: 'print the report as JSON' },
    },
  },
} as const satisfies Record<string, Command>;

export type CommandName = keyof typeof COMMANDS;

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** True when the arguments ask for help (`--help` or `-h` anywhere). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return `usage: cdc-fanout <command> [flags]\n\ncommands:\n${lines.join('\n')}\n\n'cdc-fanout <command> --help' lists a command's flags.\n`;
}

export function commandHelp(name: CommandName): string {
  const command: Command = COMMANDS[name];
  const flags = Object.entries(command.flags).map(([flag, spec]) => {
    const left = `--${flag}${spec.value ? ` ${spec.value}` : ''}`;
    const extra = [
      spec.multiple ? 'repeatable' : '',
      spec.default !== undefined ? `default ${spec.default}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return { left, right: `${spec.doc}${extra && !spec.doc.includes('default') ? ` (${extra})` : ''}` };
  });
  flags.push({ left: '-h, --help', right: 'this help' });
  const width = Math.max(...flags.map((flag) => flag.left.length));
  const lines = flags.map((flag) => `  ${flag.left.padEnd(width)}  ${flag.right}`);
  return `usage: cdc-fanout ${name}${Object.keys(command.flags).length > 0 ? ' [flags]' : ''}\n\n${command.summary}\n\nflags:\n${lines.join('\n')}\n`;
}

type Values<C extends CommandName> = {
  [F in keyof (typeof COMMANDS)[C]['flags']]: (typeof COMMANDS)[C]['flags'][F] extends { type: 'boolean' }
    ? boolean
    : (typeof COMMANDS)[C]['flags'][F] extends { multiple: true }
      ? string[]
      : (typeof COMMANDS)[C]['flags'][F] extends { default: string }
        ? string
        : string | undefined;
};

/** A command's flags, parsed; a flag it does not know is a UsageError carrying its help. */
export function parseFlags<C extends CommandName>(name: C, argv: readonly string[]): Values<C> {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; multiple?: boolean; default?: string | boolean | string[] }
  > = {};
  for (const [flag, spec] of Object.entries(COMMANDS[name].flags as Record<string, Flag>)) {
    options[flag] = {
      type: spec.type,
      ...(spec.multiple ? { multiple: true, default: [] } : {}),
      ...(spec.type === 'boolean' ? { default: false } : {}),
      ...(spec.default !== undefined ? { default: spec.default } : {}),
    };
  }
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: false }).values as Values<C>;
  } catch (error) {
    throw new CommandUsageError(`${(error as Error).message}\n\n${commandHelp(name)}`);
  }
}

/** A command called with flags it cannot use: its message ends with the command's help. */
export class CommandUsageError extends UsageError {}
