// Maps a table to what each sink does with it: none, one or several targets (index or collection),
// each with its columns and renames, and how decimals and truncates are handled.
import type { Config } from '../config/load.js';
import {
  SINK_NAMES,
  type DecimalMode,
  type SinkName,
  type TableOverride,
  type TargetSetting,
  type TruncateMode,
} from '../config/tables.js';
import { ConfigError } from '../errors.js';
import type { TableRef } from '../decoder/types.js';

export interface TableRoute {
  /** "<schema>.<table>", the key of the TABLES setting and the `table` metric label. */
  readonly table: string;
  readonly sink: SinkName;
  /** Elasticsearch index or MongoDB collection. */
  readonly target: string;
  readonly includeColumns: ReadonlySet<string> | null;
  readonly excludeColumns: ReadonlySet<string> | null;
  /** Column -> document field, for the columns this target renames; null when it renames none. */
  readonly rename: ReadonlyMap<string, string> | null;
  readonly decimal: DecimalMode;
  readonly truncate: TruncateMode;
}

type RouterConfig = Pick<Config, 'tables' | 'defaults' | 'sinks'> & {
  readonly elasticsearch: { readonly indexPrefix: string };
};

export function tableName(table: TableRef): string {
  return qualifiedName(table.schema, table.table);
}

/** "<schema>.<table>", the table label of metrics and settings. */
export function qualifiedName(schema: string, table: string): string {
  return `${schema}.${table}`;
}

/** The targets a table's settings give: its own list, or the shorthand's one per sink. */
function targetSettings(override: TableOverride, sinks: readonly SinkName[]): readonly TargetSetting[] {
  if (override.targets) return override.targets;
  return (override.sinks ?? sinks).map((sink) => ({
    sink,
    ...(override.elasticsearchIndex === undefined ? {} : { index: override.elasticsearchIndex }),
    ...(override.mongodbCollection === undefined ? {} : { collection: override.mongodbCollection }),
    ...(override.includeColumns ? { includeColumns: override.includeColumns } : {}),
    ...(override.excludeColumns ? { excludeColumns: override.excludeColumns } : {}),
    ...(override.rename ? { rename: override.rename } : {}),
  }));
}

function buildRoutes(config: RouterConfig, table: string, sink: SinkName): TableRoute[] {
  const override = config.tables[table] ?? {};
  // The shorthand goes to the sinks of SINKS; a target list names its sinks itself.
  return targetSettings(override, config.sinks)
    .filter((setting) => setting.sink === sink)
    .map((setting) => {
      const renames = Object.entries(setting.rename ?? {});
      return {
        table,
        sink,
        // Index names must be lowercase in Elasticsearch; collections keep the table's own case.
        target:
          sink === 'elasticsearch'
            ? (setting.index ?? `${config.elasticsearch.indexPrefix}${table}`.toLowerCase())
            : (setting.collection ?? table),
        includeColumns: setting.includeColumns ? new Set(setting.includeColumns) : null,
        excludeColumns: setting.excludeColumns ? new Set(setting.excludeColumns) : null,
        rename: renames.length > 0 ? new Map(renames) : null,
        decimal: override.decimal ?? config.defaults.decimal,
        truncate: override.truncate ?? config.defaults.truncate,
      };
    });
}

function bothWrite(sink: SinkName, target: string, first: string, second: string): ConfigError {
  const what = sink === 'elasticsearch' ? 'index' : 'collection';
  return new ConfigError(
    `invalid configuration:\nTABLES: tables "${first}" and "${second}" both write ${sink} ${what} "${target}"; give each its own`,
  );
}

export class Router {
  private readonly routes = new Map<string, readonly TableRoute[]>();
  /** Which table writes each target: the configured tables' from the start, others as they come. */
  private readonly writers = new Map<string, string>();

  constructor(
    private readonly config: RouterConfig,
    readonly sink: SinkName,
  ) {
    for (const table of Object.keys(config.tables))
      for (const route of buildRoutes(config, table, sink)) this.writers.set(route.target, table);
  }

  /**
   * The routes of a table for this router's sink, one per target; none when it does not go there.
   * A table whose target another table writes (a default name a configured table took, or two
   * names differing in case only, both lowercased to one index) would mix their documents: that
   * is a ConfigError, thrown each time the table is routed.
   */
  routesFor(table: TableRef): readonly TableRoute[] {
    const name = tableName(table);
    let routes = this.routes.get(name);
    if (routes === undefined) {
      routes = buildRoutes(this.config, name, this.sink);
      for (const route of routes) {
        const writer = this.writers.get(route.target);
        if (writer !== undefined && writer !== name) throw bothWrite(this.sink, route.target, writer, name);
      }
      for (const route of routes) this.writers.set(route.target, name);
      this.routes.set(name, routes);
    }
    return routes;
  }
}

/**
 * Two configured tables writing one index or collection would overwrite each other's documents
 * (ids are primary keys, unique per table only): refused at start. A table not in TABLES is not
 * known here, so its default name is only compared with the configured tables' own.
 */
export function checkTargets(config: RouterConfig): void {
  const writer = new Map<string, string>();
  for (const table of Object.keys(config.tables)) {
    for (const sink of SINK_NAMES) {
      for (const route of buildRoutes(config, table, sink)) {
        const key = `${sink}\u0000${route.target}`;
        const other = writer.get(key);
        if (other !== undefined && other !== table) throw bothWrite(sink, route.target, other, table);
        writer.set(key, table);
      }
    }
  }
}

/** Debezium names table topics "<prefix>.<schema>.<table>"; this matches exactly those. */
export function tableTopicPattern(prefix: string): RegExp {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}\\.[^.]+\\.[^.]+$`);
}
