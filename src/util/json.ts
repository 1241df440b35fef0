// JSON text with bigint values written as exact integer literals. JSON.stringify refuses bigint,
// and Number() would round anything above 2^53; Postgres text cannot hold NUL, so a NUL-fenced
// marker practically never collides with real data. A `json` column can still carry "\u0000"
// escapes, so a text whose markers outnumber its bigints is redone with another marker.
const marker = (n: number) => ({
  mark: `\u0000cdc-fanout-bigint${n || ''}:`,
  pattern: new RegExp(`"\\\\u0000cdc-fanout-bigint${n || ''}:(-?\\d+)\\\\u0000"`, 'g'),
});
const FIRST = marker(0);

/** JSON has no NaN or Infinity: JSON.stringify writes null, which would silently change the value. */
export class NonFiniteNumberError extends Error {
  constructor(
    /** The key that holds it (the column, or a key inside a JSON column). */
    readonly key: string,
    readonly value: number,
  ) {
    super(`"${key}" holds ${value}, which JSON cannot carry`);
    this.name = 'NonFiniteNumberError';
  }
}

function stringifyMarked(value: unknown, { mark, pattern }: ReturnType<typeof marker>): string | null {
  let bigints = 0;
  const text = JSON.stringify(value, (key, item: unknown) => {
    if (typeof item === 'number' && !Number.isFinite(item)) throw new NonFiniteNumberError(key, item);
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
