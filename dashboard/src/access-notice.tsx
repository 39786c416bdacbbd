import { useEffect, useState } from 'preact/hooks';
import type { Observable } from 'rxjs';
import type { LinkOutcome } from './read-access.ts';
import { plural } from './format.ts';

/**
 * Access the person can fix, in one message: a link that was not taken (the current access
 * stays), or an access link that has expired or that the server refuses — with what to do.
 * Local work goes on meanwhile and is sent once a new link is opened in this tab.
 */
export function AccessNotice({
  link$,
  expired,
  refused,
  pending,
}: {
  link$: Observable<LinkOutcome | undefined>;
  expired: boolean;
  refused: boolean;
  pending: number;
}) {
  const [link, setLink] = useState<LinkOutcome | undefined>(undefined);
  useEffect(() => {
    const subscription = link$.subscribe(setLink);
    return () => subscription.unsubscribe();
  }, [link$]);
  const kept =
    pending > 0 ? `Your ${plural(pending, 'change')} stay on this device and are sent` : 'Your work here is kept and syncing resumes';
  return (
    <>
      {expired || refused ? (
        <div class="notice notice-error" role="alert" data-testid="access-notice">
          <p>
            <strong>{expired ? 'Your access link has expired.' : 'The server no longer accepts your access link.'}</strong> {kept} as soon
            as you open a new link in this browser. Ask the person who runs Brain for your team for a new dashboard link.
          </p>
        </div>
      ) : null}
      {link === 'invalid' || link === 'expired' ? (
        <div class="notice" role="alert" data-testid="link-notice">
          <p>
            <strong>{link === 'invalid' ? 'The link you opened is not a valid access link' : 'The link you opened has expired'}</strong> —
            it was not used. {expired || refused ? 'You need a new link.' : 'You are still signed in with your earlier link.'}
          </p>
          <button type="button" class="quiet" onClick={() => setLink(undefined)}>
            OK
          </button>
        </div>
      ) : null}
    </>
  );
}
