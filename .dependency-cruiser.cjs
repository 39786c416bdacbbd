/**
 * The import direction (docs/architecture.md): collections ← protocol/queries ← store ←
 * replication | expiry (peers) ← hooks; the server shares only collections, protocol and
 * errors with the client, and no client code imports the server. No cycles anywhere.
 * Checked by `npm run lint`.
 */
const CLIENT = '^src/(collections|errors|protocol|queries|store|replication|expiry|hooks|storage|node)/|^src/index\\.ts$';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'client-never-imports-server', severity: 'error', from: { path: CLIENT }, to: { path: '^src/server/' } },
    { name: 'src-never-imports-outside', severity: 'error', from: { path: '^src/' }, to: { path: '^(bin|test|bench|harness|dashboard)/' } },
    {
      name: 'collections-are-the-bottom',
      severity: 'error',
      from: { path: '^src/collections/' },
      to: { path: '^src/(queries|store|replication|expiry|hooks|server|protocol)/' },
    },
    { name: 'protocol-below-store', severity: 'error', from: { path: '^src/protocol/' }, to: { path: '^src/(queries|store|replication|expiry|hooks|server)/' } },
    { name: 'queries-below-store', severity: 'error', from: { path: '^src/queries/' }, to: { path: '^src/(replication|expiry|hooks|server)/' } },
    { name: 'store-below-replication-and-expiry', severity: 'error', from: { path: '^src/store/' }, to: { path: '^src/(replication|expiry|hooks|server)/' } },
    { name: 'replication-and-expiry-are-peers', severity: 'error', from: { path: '^src/replication/' }, to: { path: '^src/expiry/' } },
    { name: 'expiry-and-replication-are-peers', severity: 'error', from: { path: '^src/expiry/' }, to: { path: '^src/replication/' } },
    { name: 'server-shares-only-the-contract', severity: 'error', from: { path: '^src/server/' }, to: { path: '^src/(queries|store|replication|expiry|hooks)/' } },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
