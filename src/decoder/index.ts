// The pure Debezium decoder: Kafka record bytes in, typed change event out. No I/O, no logging;
// decodeRecord never throws (every failure is { ok: false, error: DecodeError }).
//
//   json.ts           lossless JSON parsing (the one place that picks the parser)
//   envelope.ts       {schema, payload} or bare, the op, the source block (table and position)
//   schema-cache.ts   compiled schemas cached by their JSON text (bounded)
//   connect-schema.ts Connect schema -> converter closures, compiled once per schema
//   logical-types.ts  primitive and Debezium/Connect logical type converters
//   time.ts, decimal.ts, base64.ts   the exact arithmetic behind them
//   toast.ts, row.ts  unchanged-TOAST placeholders; before/after images to rows
//   key.ts            the message key to a DocKey and document id
//   avro/             Avro in the Confluent wire format, translated to the JSON path's payload and
//                     Connect schema (writer schemas fetched beforehand by src/registry)
//   decode.ts         decodeRecord
export { decodeRecord, type DecodeResult } from './decode.js';
export { keyColumnText, documentId } from './key.js';
export { TOAST_PLACEHOLDER } from './toast.js';
export * from './types.js';
