// Maps a table to what each sink does with it: whether it wants the table at all, the index or
// collection name, which columns, and how decimals and truncates are handled.
import type { Config } from '../config/load.js';
import type { DecimalMode, SinkName, TruncateMode } from '../config/tables.js';
import type { TableRef } from '../decoder/types.js';

export interface TableRoute {
  /** "<schema>.<table>", the key of the TABLES setting and the `table` metric label. */
  readonly table: string;
  /** Elasticsearch index or MongoDB collection. */
  readonly target: string;
  readonly includeColumns: ReadonlySet<string> | null;
  readonly excludeColumns: ReadonlySet<string> | null;
  readonly decimal: DecimalMode;
  readonly truncate: TruncateMode;
}

export function tableName(table: TableRef): string {
  return `${table.schema}.${table.table}`;
}

export class Router {
  private readonly routes = new Map<string, TableRoute | null>();

  constructor(
    private readonly config: Pick<Config, 'tables' | 'defaults' | 'sinks'> & {
      readonly elasticsearch: { readonly indexPrefix: string };
    },
    readonly sink: SinkName,
  ) {}

  /** The route of a table for this router's sink, or null when the table does not go there. */
  routeFor(table: TableRef): TableRoute | null {
    const name = tableName(table);
    let route = this.routes.get(name);
    if (route === undefined) {
      route = this.build(name);
      this.routes.set(name, route);
    }
    return route;
  }

  private build(table: string): TableRoute | null {
    const override = this.config.tables[table] ?? {};
    const sinks = override.sinks ?? this.config.sinks;
    if (!sinks.includes(this.sink)) return null;
    // Index names must be lowercase in Elasticsearch; collections keep the table's own case.
    const target =
      this.sink === 'elasticsearch'
        ? (override.elasticsearchIndex ?? `${this.config.elasticsearch.indexPrefix}${table}`.toLowerCase())
        : (override.mongodbCollection ?? table);
    return {
      table,
      target,
      includeColumns: override.includeColumns ? new Set(override.includeColumns) : null,
      excludeColumns: override.excludeColumns ? new Set(override.excludeColumns) : null,
      decimal: override.decimal ?? this.config.defaults.decimal,
      truncate: override.truncate ?? this.config.defaults.truncate,
    };
  }
}

/** Debezium names table topics "<prefix>.<schema>.<table>"; this matches exactly those. */
export function tableTopicPattern(prefix: string): RegExp {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}\\.[^.]+\\.[^.]+$`);
}
