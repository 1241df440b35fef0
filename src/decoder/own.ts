// Own-property helpers that treat every key as data: a column or JSON key named "__proto__" or
// "constructor" is a field like any other, never the prototype.

const hasOwnProperty = Object.prototype.hasOwnProperty;

export function hasOwn(target: object, key: string): boolean {
  return hasOwnProperty.call(target, key);
}

/** Assigning obj["__proto__"] = v would replace the prototype, not store a field: it is defined. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export function countOwnKeys(target: object): number {
  let n = 0;
  for (const key in target) if (hasOwnProperty.call(target, key)) n++;
  return n;
}
