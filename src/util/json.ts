// JSON text with bigint values written as exact integer literals. JSON.stringify refuses bigint,
// and Number() would round anything above 2^53; Postgres text cannot hold NUL, so a NUL-fenced
// marker can never collide with real data.
const MARK = '\u0000cdc-fanout-bigint:';
const MARKED = /"\\u0000cdc-fanout-bigint:(-?\d+)\\u0000"/g;

export function stringifyJson(value: unknown): string {
  let sawBigInt = false;
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'bigint') return item;
    sawBigInt = true;
    return `${MARK}${item.toString()}\u0000`;
  });
  return sawBigInt ? text.replace(MARKED, '$1') : text;
}
