// Field names a sink keeps for itself. A column stored under one of them would break the document's
// id, its position guard or its tombstone; TABLES refuses a rename onto them (src/config/tables.ts).
import type { SinkName } from '../config/tables.js';
import { DELETED_AT_FIELD, DELETED_FIELD } from './mongodb/tombstone.js';

/** Where the MongoDB sink stores a document's position (the LSN of the change it holds). */
export const POSITION_FIELD = '_cdc_lsn';

/** Elasticsearch's metadata fields: a document holding one of them is refused. */
const ELASTICSEARCH_METADATA = [
  '_id',
  '_index',
  '_source',
  '_routing',
  '_version',
  '_seq_no',
  '_primary_term',
  '_ignored',
  '_ignored_source',
  '_field_names',
  '_meta',
  '_tier',
  '_doc_count',
  '_data_stream_timestamp',
  '_nested_path',
  '_type',
  '_size',
  '_tsid',
];

export const OWNED_FIELDS: Readonly<Record<SinkName, readonly string[]>> = {
  elasticsearch: ELASTICSEARCH_METADATA,
  mongodb: ['_id', POSITION_FIELD, DELETED_FIELD, DELETED_AT_FIELD],
};
