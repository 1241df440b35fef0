#!/usr/bin/env node
// The one binary: cdc-fanout start | verify | resync | generate. Configuration errors and other
// typed failures end with a one-line message and a non-zero exit, never an untyped stack trace.
import { loadConfig } from '../config/load.js';
import { CdcFanoutError } from '../errors.js';
import { createLogger, secretValues } from '../observability/logger.js';
import { runStart } from './start.js';

const USAGE = `usage: cdc-fanout <command>

commands:
  start      run the service (configured by environment variables, see .env.example)
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const logger = createLogger(
    config.logLevel,
    secretValues([
      config.elasticsearch.url,
      config.elasticsearch.password,
      config.elasticsearch.apiKey,
      config.mongodb.url,
      config.postgres.url,
    ]),
  );
  switch (command) {
    case 'start':
      return runStart(config, logger);
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message =
      error instanceof CdcFanoutError ? error.message : String((error as Error)?.stack ?? error);
    process.stderr.write(`cdc-fanout: ${message}\n`);
    process.exitCode = 1;
  },
);
