import type { CollectionName } from '../collections/declare-collection.ts';

/** Collection names a server serves by default (anything else is a 404). */
export const SYNC_COLLECTIONS: readonly CollectionName[] = ['brainSummaries', 'brainInsights', 'brainActions'];

/**
 * Endpoint paths, relative to the server URL. All take `Authorization: Bearer <token>`.
 * - POST pull   body PullRequest   → PullResponse
 * - POST push   body PushRequest   → PushResponse
 * - GET  stream (text/event-stream) → StreamEvent per `data:` line
 */
export const endpoints = {
  pull: (collection: string) => `/sync/${encodeURIComponent(collection)}/pull`,
  push: (collection: string) => `/sync/${encodeURIComponent(collection)}/push`,
  stream: (collection: string) => `/sync/${encodeURIComponent(collection)}/stream`,
  /** GET: what the presented token grants (SessionResponse). */
  session: '/sync/session',
  health: '/healthz',
  metrics: '/metrics',
} as const;

/** Largest push batch and pull batch the server accepts (413 / 400 beyond). */
export const MAX_PUSH_ROWS = 1_000;
export const MAX_PULL_BATCH = 5_000;
/** Largest request body in bytes (413 beyond). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Response header with the server's body limit in bytes (issue 23), on every answer: clients
 * split push batches under it, so no valid document can wedge a push queue.
 */
export const MAX_BODY_HEADER = 'brain-store-max-body-bytes';
/**
 * Largest document, as JSON text, a store accepts at write time: an edit's push row carries
 * the document twice (new and assumed state), so two of them and the row's envelope fit one
 * default body. Far above what the brain schemas allow (a summary at every limit is ~1.5 MB).
 */
export const MAX_DOCUMENT_BYTES = Math.floor((MAX_BODY_BYTES - 64 * 1024) / 2);
