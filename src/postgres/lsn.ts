// Postgres prints LSNs as two hex halves ("16/B374D848"); Debezium sends the same position as one
// 64-bit integer. Kept as bigint: LSNs can exceed 2^53.
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new Error(`not a Postgres LSN: "${text}"`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}
