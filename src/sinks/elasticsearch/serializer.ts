// The client's JSON both ways without losing integers above 2^53: stored documents read back
// (TOAST fill, verify) must come back exactly as they were written.
import { Serializer, errors } from '@elastic/elasticsearch';
import { parseJson } from '../../decoder/json.js';
import { stringifyJson } from '../../util/json.js';

export class LosslessSerializer extends Serializer {
  override serialize(object: Record<string, unknown>): string {
    try {
      return stringifyJson(object);
    } catch (error) {
      throw new errors.SerializationError((error as Error).message, object);
    }
  }

  override deserialize<T = unknown>(json: string): T {
    try {
      return parseJson(json) as T;
    } catch (error) {
      throw new errors.DeserializationError((error as Error).message, json);
    }
  }
}
