// Assigning obj["__proto__"] = v replaces the prototype instead of storing a field, so a column
// or JSON key named "__proto__" would vanish (or worse). Hostile names are data: define them.
export function setOwnField<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
