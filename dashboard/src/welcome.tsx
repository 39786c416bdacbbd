import type { LinkOutcome } from './read-access.ts';

/** Shown without a usable token: what happened, and how to get in — in a sales manager's words. */
export function Welcome({ link, signedOut = false }: { link?: LinkOutcome | undefined; signedOut?: boolean }) {
  return (
    <main class="welcome">
      <h1>Brain dashboard</h1>
      {signedOut ? (
        <p role="status">You are signed out. This device no longer keeps your queue.</p>
      ) : link === 'invalid' ? (
        <p role="alert">This link is not a valid access link. It may have been cut short when it was copied.</p>
      ) : link === 'expired' ? (
        <p role="alert">This access link has expired.</p>
      ) : null}
      <p>
        To open your queue, use the dashboard link you were sent. If you do not have one, or it no longer works, ask the person who runs
        Brain for your team for a new link, then open it in this browser.
      </p>
      <details class="admin-help">
        <summary>For administrators</summary>
        <p>
          A link is this page’s address followed by <code>#token=</code> and a member token, which{' '}
          <code>brain-store token --role member --subject NAME --workspace ID</code> prints (<code>npm start</code> prints a whole link).
          The token travels after the <code>#</code> and never reaches a server log.
        </p>
      </details>
    </main>
  );
}
