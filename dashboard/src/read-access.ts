/**
 * The dashboard's access token: taken from the URL fragment (`#token=…`, never a query
 * string, so it reaches neither the server's logs nor a Referer), kept in localStorage so an
 * offline reload still knows who it is, and removed from the address bar at once.
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

export function readAccess(location: Location, history: History, storage: Storage): Access | undefined {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromUrl = fragment.get('token');
  if (fromUrl) {
    storage.setItem(STORAGE_KEY, fromUrl);
    fragment.delete('token');
    const rest = fragment.toString();
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  }
  const token = fromUrl ?? storage.getItem(STORAGE_KEY);
  if (!token) return undefined;
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

export function forgetAccess(storage: Storage): void {
  storage.removeItem(STORAGE_KEY);
}

/**
 * The JWT's payload, read without verifying it: the server verifies every request; the page
 * only needs the workspaces to offer and the subject to record.
 */
function decodePayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
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
