/** A push row as it arrived (shape checked): raw JSON.parse objects, never copied through a schema. */
export interface RawPushRow {
  readonly newDocumentState: Record<string, unknown> & { _deleted: boolean };
  readonly assumedMasterState?: (Record<string, unknown> & { _deleted: boolean }) | null | undefined;
}
