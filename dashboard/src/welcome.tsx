/** Shown without a token: how to get the link that carries one. */
export function Welcome() {
  return (
    <main class="welcome">
      <h1>Brain dashboard</h1>
      <p>
        This page needs an access link. Run <code>npm start</code> and open the URL it prints: the token travels in the part after
        <code>#</code>, which never leaves your browser.
      </p>
    </main>
  );
}
