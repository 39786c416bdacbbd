import type { WireDocument } from '../../protocol/messages.ts';
import type { StoredDocument } from './document-store.ts';

/**
 * A stored row as the wire carries it: the document with `_deleted` from the row's flag.
 * Pull pages, stream batches and push conflicts all answer with this shape.
 */
export function toWire(stored: Pick<StoredDocument, 'doc' | 'deleted'>): WireDocument {
  return { ...stored.doc, _deleted: stored.deleted } as WireDocument;
}
