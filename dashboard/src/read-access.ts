/**
 * The dashboard's access token: taken from the URL fragment (`#token=…`, never a query
 * string, so it reaches neither the server's logs nor a Referer), kept in localStorage so an
 * offline reload still knows who it is, and removed from the address bar at once.
 *
 * A link whose token cannot be read, grants no workspace or has expired never replaces the
 * token kept from before: the person keeps working and is told the link was not taken.
 */
const STORAGE_KEY = 'brain-dashboard.token';

export interface Access {
  readonly token: string;
  readonly workspaces: readonly string[];
  /** Who the token is for (`sub`): recorded as `actioned_by`. */
  readonly subject: string | undefined;
  readonly role: string | undefined;
  /** Expiry, epoch ms. */
  readonly expiresAt: number | undefined;
}

/** What became of a link's token: taken, or refused and why. */
export type LinkOutcome = 'taken' | 'invalid' | 'expired';

export interface AccessReading {
  /** The access in force (the link's if taken, else the one kept from before), if any. */
  readonly access: Access | undefined;
  /** Set when the URL carried a token. */
  readonly link: LinkOutcome | undefined;
}

export function readAccess(location: Location, history: History, storage: Storage, now = Date.now()): AccessReading {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromUrl = fragment.get('token');
  let link: LinkOutcome | undefined;
  if (fromUrl !== null) {
    fragment.delete('token');
    const rest = fragment.toString();
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
    const offered = toAccess(fromUrl);
    link = !offered ? 'invalid' : offered.expiresAt !== undefined && offered.expiresAt <= now ? 'expired' : 'taken';
    if (link === 'taken') storage.setItem(STORAGE_KEY, fromUrl);
  }
  const kept = storage.getItem(STORAGE_KEY);
  return { access: kept ? toAccess(kept) : undefined, link };
}

/** Whether the URL carries a token now (a link opened into this tab). */
export function hasLinkToken(location: Location): boolean {
  return new URLSearchParams(location.hash.replace(/^#/, '')).has('token');
}

export function forgetAccess(storage: Storage): void {
  storage.removeItem(STORAGE_KEY);
}

function toAccess(token: string): Access | undefined {
  const claims = decodePayload(token);
  if (!claims) return undefined;
  const workspaces = Array.isArray(claims['workspaces']) ? claims['workspaces'].filter((ws): ws is string => typeof ws === 'string') : [];
  if (workspaces.length === 0) return undefined;
  return {
    token,
    workspaces,
    subject: typeof claims['sub'] === 'string' ? claims['sub'] : undefined,
    role: typeof claims['role'] === 'string' ? claims['role'] : undefined,
    expiresAt: typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : undefined,
  };
}

/**
 * The JWT's payload, read without verifying it: the server verifies every request; the page
 * only needs the workspaces to offer and the subject to record.
 */
function decodePayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  const part = parts[1];
  if (parts.length !== 3 || !part) return undefined;
  try {
    const base64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=');
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)));
    const payload: unknown = JSON.parse(json);
    return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
