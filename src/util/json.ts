// JSON text with bigint values written as exact integer literals. JSON.stringify refuses bigint,
// and Number() would round anything above 2^53; Postgres text cannot hold NUL, so a NUL-fenced
// marker practically never collides with real data. A `json` column can still carry "\u0000"
// escapes, so a text whose markers outnumber its bigints is redone with another marker.
const marker = (n: number) => ({
  mark: `\u0000cdc-fanout-bigint${n || ''}:`,
  pattern: new RegExp(`"\\\\u0000cdc-fanout-bigint${n || ''}:(-?\\d+)\\\\u0000"`, 'g'),
});
const FIRST = marker(0);

/**
 * JSON has no NaN or Infinity, and JSON.stringify would write null, silently changing the value. They
 * are written as the strings Debezium's JsonConverter uses for them ("NaN", "Infinity",
 * "-Infinity"); Elasticsearch maps float columns with ignore_malformed (see
 * sinks/elasticsearch/mapping.ts), so it keeps that string in _source and leaves it unindexed.
 */
function nonFiniteText(value: number): string {
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

function stringifyMarked(value: unknown, { mark, pattern }: ReturnType<typeof marker>): string | null {
  let bigints = 0;
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'number' && !Number.isFinite(item)) return nonFiniteText(item);
    if (typeof item !== 'bigint') return item;
    bigints++;
    return `${mark}${item.toString()}\u0000`;
  });
  if (bigints === 0) return text;
  let replaced = 0;
  const result = text.replace(pattern, (_match, digits: string) => {
    replaced++;
    return digits;
  });
  return replaced === bigints ? result : null;
}

export function stringifyJson(value: unknown): string {
  for (let n = 0; ; n++) {
    const text = stringifyMarked(value, n === 0 ? FIRST : marker(n));
    if (text !== null) return text;
  }
}
