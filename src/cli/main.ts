#!/usr/bin/env node
// The one binary: cdc-fanout start | verify | resync | reindex | generate. Configuration errors and other
// typed failures end with a one-line message and a non-zero exit, never an untyped stack trace.
import pino from 'pino';
import { loadConfig } from '../config/load.js';
import { CdcFanoutError } from '../errors.js';
import { CommandUsageError, commandHelp, isCommand, overview, parseFlags, wantsHelp } from './commands.js';
import { basicAuthSecrets, createLogger, scrubText, secretValues } from '../observability/logger.js';

// Each command is loaded when it runs: the service never loads the load generator's faker, nor
// the tools' Postgres client, and their memory stays out of its RSS.

/** The configured secrets, once loaded: a failure printed outside the logger is scrubbed too. */
let secrets: string[] = [];

async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(overview());
    return command ? 0 : 2;
  }
  if (!isCommand(command)) {
    process.stderr.write(`unknown command "${command}"\n${overview()}`);
    return 2;
  }
  // Help needs no configuration: it answers even where the environment is not set up yet.
  if (wantsHelp(argv.slice(1))) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  // A mistyped flag is named before the configuration is even read.
  parseFlags(command, argv.slice(1));
  const config = loadConfig();
  const urls = [config.elasticsearch.url, config.mongodb.url, config.postgres.url];
  secrets = [
    ...secretValues([...urls, config.elasticsearch.password, config.elasticsearch.apiKey]),
    ...basicAuthSecrets(urls, [[config.elasticsearch.username, config.elasticsearch.password]]),
  ];
  // Tools print their reports on stdout, so their logs go to stderr.
  const logger = createLogger(
    command === 'start' ? config.logLevel : 'warn',
    secrets,
    pino.destination({ dest: command === 'start' ? 1 : 2, sync: false }),
  );
  switch (command) {
    case 'start':
      return (await import('./start.js')).runStart(config, logger);
    case 'verify':
      return (await import('./verify.js')).runVerify(config, logger, argv.slice(1));
    case 'resync':
      return (await import('./resync.js')).runResync(config, logger, argv.slice(1));
    case 'reindex':
      return (await import('./reindex.js')).runReindex(config, logger, argv.slice(1));
    case 'generate':
      return (await import('./generate.js')).runGenerate(config, logger, argv.slice(1));
  }
}

/** Typed errors (usage mistakes with the command's help) explain themselves; anything else shows its stack. */
function describeFailure(error: unknown): string {
  if (error instanceof CdcFanoutError) return error.message;
  return String((error as Error | null)?.stack ?? error);
}

main(process.argv.slice(2)).then(
  (code) => {
    // The service may leave sockets to an unresponsive sink open after its shutdown deadline:
    // exit explicitly rather than wait for them.
    if (process.argv[2] === 'start') process.exit(code);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cdc-fanout: ${scrubText(describeFailure(error), secrets)}\n`);
    process.exitCode = error instanceof CommandUsageError ? 2 : 1;
    // A failed start may leave client sockets or timers behind: the exit must not wait for them.
    if (process.argv[2] === 'start') process.exit(1);
  },
);
