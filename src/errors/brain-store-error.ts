/**
 * The one error class of brain-store. Every failure a caller can act on carries a `code`
 * from a closed union, a `parameters` object with the facts, and for validation the zod
 * `issues` (each with its `path`). The human message and the fix live in one table so that
 * wire errors (JSON with the same codes) and thrown errors read the same.
 */
export const ERROR_CODES = {
  VALIDATION: {
    message: 'The input does not match the schema.',
    fix: 'Read `issues`: each names the field (`path`) and why it was refused.',
  },
  NOT_FOUND: {
    message: 'No document with that id exists.',
    fix: 'Check the id; the document may have been purged or belong to another workspace.',
  },
  INVALID_TRANSITION: {
    message: 'The action cannot move to that status.',
    fix: 'Only pending actions can be actioned, dismissed or expired; terminal states never change.',
  },
  STORAGE: {
    message: 'The storage failed to read or write.',
    fix: 'See `cause` for the storage error; nothing was written.',
  },
  CONFIG: {
    message: 'The store or server was configured wrongly.',
    fix: 'See `parameters` for the option to set.',
  },
  UNAUTHORIZED: {
    message: 'The access token is missing, expired or forged.',
    fix: 'Mint a new token with createAccessToken() for the workspaces you need.',
  },
  FORBIDDEN_WORKSPACE: {
    message: 'The document belongs to a workspace the token does not grant.',
    fix: 'Use a token that lists this workspace.',
  },
  FORBIDDEN_ROLE: {
    message: "The token's role may not make this write.",
    fix: 'Members may only action (as themselves), dismiss or expire pending actions; operators write nothing. Use a bot token for anything else.',
  },
  CLOCK_SKEW: {
    message: "A time in the write lies too far from the server's clock.",
    fix: "Correct the device clock (or let the replication correct it); the write was reverted to the server's version.",
  },
  IMMUTABLE_FIELD: {
    message: 'A field that may never change after creation was changed.',
    fix: 'Create a new document instead of moving one (e.g. to another workspace).',
  },
  BAD_REQUEST: {
    message: 'The request was malformed.',
    fix: 'See `parameters` for the part that could not be read.',
  },
  TOO_LARGE: {
    message: 'The request body or batch is too large.',
    fix: 'Send smaller batches.',
  },
  RATE_LIMITED: {
    message: 'Too many requests.',
    fix: 'Retry after the time the server names.',
  },
  UPGRADE_REQUIRED: {
    message: 'This client is older than the sync server still serves.',
    fix: 'Reload the page (or restart the bot) with the new version: every local write is kept and syncs once upgraded. `parameters` names the versions (clientVersion, oldestVersion, serverVersion).',
  },
  NETWORK: {
    message: 'The sync server could not be reached.',
    fix: 'Writes stay queued locally and are retried; check the server URL and connection.',
  },
  CLOSED: {
    message: 'The store was closed.',
    fix: 'Create a new store with createBrainStore().',
  },
  PROTOCOL: {
    message: "The server's answer does not match the sync protocol.",
    fix: 'Client and server are of different versions, or something between them rewrote the answer; `issues` name what did not match and `parameters.path` the request. Upgrade the older side.',
  },
  STORAGE_FILE: {
    message: 'The storage file cannot be used.',
    fix: '`parameters.path` names the file and `parameters.reason` the problem (no-folder, not-writable, not-a-database, newer-version, in-use); the message says what to do. Nothing was changed on disk.',
  },
} as const satisfies Record<string, { message: string; fix: string }>;

export type BrainStoreErrorCode = keyof typeof ERROR_CODES;

/** One schema issue: where (`path`) and why (`message`, `code`). */
export interface BrainStoreIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly code: string;
}

export interface BrainStoreErrorOptions {
  readonly parameters?: Record<string, unknown>;
  readonly issues?: readonly BrainStoreIssue[];
  readonly cause?: unknown;
  readonly message?: string;
}

/**
 * @example
 * try { await store.brainActions.createActionRecommendation({ ...args, priority: 101 }); }
 * catch (err) {
 *   if (err instanceof BrainStoreError && err.code === 'VALIDATION') console.log(err.issues[0].path); // ['priority']
 * }
 */
export class BrainStoreError extends Error {
  override readonly name = 'BrainStoreError';
  readonly code: BrainStoreErrorCode;
  readonly parameters: Record<string, unknown>;
  readonly issues: readonly BrainStoreIssue[];
  readonly fix: string;

  constructor(code: BrainStoreErrorCode, options: BrainStoreErrorOptions = {}) {
    const entry = ERROR_CODES[code];
    const detail = options.message ?? describeIssues(options.issues);
    super(`${code}: ${entry.message}${detail ? ` ${detail}` : ''}`, { cause: options.cause });
    this.code = code;
    this.parameters = options.parameters ?? {};
    this.issues = options.issues ?? [];
    this.fix = entry.fix;
  }

  /** The JSON form sent over the wire: same code, no stack. */
  toJSON(): { code: BrainStoreErrorCode; message: string; issues: readonly BrainStoreIssue[] } {
    return { code: this.code, message: this.message, issues: this.issues };
  }
}

function describeIssues(issues: readonly BrainStoreIssue[] | undefined): string {
  if (!issues || issues.length === 0) return '';
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

export function isBrainStoreError(value: unknown, code?: BrainStoreErrorCode): value is BrainStoreError {
  return value instanceof BrainStoreError && (code === undefined || value.code === code);
}
