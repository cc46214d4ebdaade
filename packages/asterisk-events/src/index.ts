export * from './types.ts';
export { normalizeHostEvent, cleanExtensions, cleanNumber, parseCallType } from './normalize.ts';
export {
  validateHostBody,
  extractToken,
  eventIdempotencyKey,
  canonicalJson,
  isHostEventType,
  MAX_FIELD_LENGTH,
  MAX_EXTENSIONS,
  MAX_DEPTH,
  type Validation,
} from './validate.ts';
