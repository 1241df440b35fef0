// What the tools work on: the tables named with --table, or else every table whose topic the
// service consumes (the configured topic list, or the Debezium topics found in Kafka); and the
// sinks named with --sink, or else the configured ones.
import type { Config } from '../config/load.js';
import { SINK_NAMES, type SinkName } from '../config/tables.js';
import { UsageError } from '../errors.js';
import type { KafkaClient } from '../kafka/client.js';
import { tableTopicPattern } from '../router/router.js';

export function tablesFromTopics(prefix: string, topics: readonly string[]): string[] {
  return topics.map((topic) => topic.slice(prefix.length + 1)).sort();
}

export async function selectTables(
  config: Config,
  kafka: KafkaClient,
  named: readonly string[],
): Promise<string[]> {
  if (named.length > 0) {
    for (const table of named) {
      if (!/^[^.]+\.[^.]+$/.test(table))
        throw new UsageError(`--table ${table}: expected "<schema>.<table>"`);
    }
    return [...named];
  }
  const prefix = config.kafka.topicPrefix;
  const topics =
    config.kafka.topics.length > 0
      ? config.kafka.topics
      : (await kafka.listTopics()).filter((topic) => tableTopicPattern(prefix).test(topic));
  return tablesFromTopics(prefix, topics);
}

export function selectSinks(config: Config, named: readonly string[]): SinkName[] {
  const sinks = named.length > 0 ? named : config.sinks;
  for (const sink of sinks) {
    if (!SINK_NAMES.includes(sink as SinkName)) {
      throw new UsageError(`--sink ${sink}: expected ${SINK_NAMES.join(' or ')}`);
    }
  }
  return [...sinks] as SinkName[];
}
