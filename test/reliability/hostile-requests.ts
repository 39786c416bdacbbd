import fc from 'fast-check';
import { SignJWT } from 'jose';
import { COLLECTIONS } from '../../src/collections/all-collections.ts';
import { endpoints, MAX_PULL_BATCH } from '../../src/protocol/endpoints.ts';
import { CLIENT_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../src/protocol/protocol-version.ts';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/server/auth/access-token.ts';
import { findUnsafeText } from '../../src/server/documents/find-unsafe-text.ts';
import { hostedCollections } from '../../src/server/documents/hosted-collections.ts';
import { mutatedDocument, validDocument } from '../collections/arbitraries.ts';

/**
 * Generators of hostile HTTP requests against the sync surface. Documents come from each
 * collection's derived JSON schema (the wire schema's source), so a field added later is
 * fuzzed without touching this file. Every generated push row is one the server must refuse
 * (a foreign workspace, or a document the collection's own validator rejects), so a
 * database that changes at all during the fuzz is a defect.
 */

export interface HostileRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array | undefined;
}

/** What the generator builds on: the tokens (only `valid` grants anything, workspace GRANTED) and a real checkpoint. */
export interface FuzzTargets {
  readonly valid: string;
  readonly hostile: readonly string[];
  /** A checkpoint the server itself returned, forged from in many ways. */
  readonly checkpoint: Record<string, unknown>;
}

/** The only workspace a fuzzing token grants; documents in any other one must be refused. */
export const GRANTED = 'w1';
const COLLECTION_NAMES = Object.keys(COLLECTIONS) as (keyof typeof COLLECTIONS)[];
const hosted = hostedCollections();

/** Strings that have broken parsers, SQL and JSON before. */
export const NASTY_STRINGS: readonly string[] = [
  "' OR '1'='1",
  "'; DROP TABLE brain_store_documents; --",
  '"); DELETE FROM brain_store_documents; --',
  '$1',
  '$$',
  '\\',
  '%',
  '_',
  '%00',
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\uDC00\uD83D',
  '\uFEFF',
  '\u202E',
  '😀'.repeat(300),
  'x'.repeat(10_000),
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '',
  ' ',
  '../../etc/passwd',
  '{"tx":"1","seq":"1"}',
  '1e309',
  '-1',
  '0x10',
  '١٢٣',
];

const nasty = fc.constantFrom(...NASTY_STRINGS);
const anyString = fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 40 }));
const hugeNumbers = fc.constantFrom(0, -1, -0, 1e9, 2 ** 53, 2 ** 63, -(2 ** 63), 1e308, -1e308, 0.5, Number.MAX_SAFE_INTEGER + 2);

/** Whether a document (wire form) would be refused by the server's checks for a GRANTED token. */
function refusedForGranted(collection: string, wire: Record<string, unknown>): boolean {
  if (wire['workspace_id'] !== GRANTED) return true;
  const { _deleted: _ignored, ...doc } = wire;
  if (findUnsafeText(doc)) return true;
  return hosted.get(collection)!.validate(doc).length > 0;
}

/** A push document that must be refused: broken in one field, or in a foreign or hostile workspace. */
function refusedDocument(collection: keyof typeof COLLECTIONS): fc.Arbitrary<Record<string, unknown>> {
  const schema = COLLECTIONS[collection].jsonSchema as never;
  const broken = mutatedDocument(schema).map(({ doc, path }) =>
    doc && typeof doc === 'object' && !Array.isArray(doc) && path[0] !== 'workspace_id'
      ? { ...(doc as Record<string, unknown>), workspace_id: GRANTED }
      : doc,
  );
  const foreign = fc
    .tuple(validDocument(schema), fc.oneof(fc.constantFrom('w2', 'W1', ' w1', 'w1 ', '_'), nasty))
    .map(([doc, ws]) => ({ ...doc, workspace_id: ws }));
  return fc
    .tuple(fc.oneof(broken, foreign), fc.option(anyString, { nil: undefined }), fc.boolean())
    .map(([doc, id, deleted]) => {
      const wire: Record<string, unknown> =
        doc && typeof doc === 'object' && !Array.isArray(doc) ? { ...(doc as Record<string, unknown>) } : { value: doc };
      if (id !== undefined) wire['id'] = id;
      wire['_deleted'] = deleted;
      return wire;
    })
    .filter((wire) => refusedForGranted(collection, wire));
}

const junk: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue({ maxDepth: 3 }), hugeNumbers, anyString, fc.constant(null));

function pushBody(collection: keyof typeof COLLECTIONS): fc.Arbitrary<unknown> {
  const row = fc.oneof(
    { weight: 12, arbitrary: fc.record({ newDocumentState: refusedDocument(collection) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        newDocumentState: refusedDocument(collection),
        assumedMasterState: fc.oneof(refusedDocument(collection), fc.constant(null), junk),
      }),
    },
    { weight: 1, arbitrary: fc.record({ newDocumentState: junk }) },
    { weight: 1, arbitrary: junk },
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ rows: fc.array(row, { maxLength: 6 }) }) },
    { weight: 1, arbitrary: fc.record({ rows: fc.array(row, { maxLength: 2 }), extra: junk }) },
    { weight: 1, arbitrary: fc.record({ rows: junk }) },
    { weight: 1, arbitrary: junk },
  );
}

const digits = fc.oneof(
  fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
  fc.bigInt({ min: -(10n ** 20n), max: -1n }).map(String),
  fc.constantFrom('0', '00000000000000000001', '18446744073709551615', '18446744073709551616', '9223372036854775807', '1e5', '1.5'),
  anyString,
);
/**
 * Checkpoints: the server's own (taken from a real pull, whatever its format) with one value
 * forged, a key dropped or a key added; out-of-range numbers; wrong types.
 */
function checkpointArb(real: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(real);
  const forgedValue = fc.oneof(digits, junk);
  return fc.oneof(
    fc.constant(null),
    fc.constant(real),
    fc.tuple(fc.constantFrom(...keys), forgedValue).map(([key, value]) => ({ ...real, [key]: value })),
    fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(real).filter(([k]) => k !== key))),
    fc
      .tuple(fc.constantFrom('extra', 'workspace_id', 'workspaces', '__proto__', 'constructor', 'tx', 'seq'), forgedValue)
      .map(
        ([key, value]) =>
          JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'},${JSON.stringify(real).slice(1)}`) as unknown,
      ),
    fc.record({ tx: digits, seq: digits }),
    junk,
  );
}
const batchSize = fc.oneof(
  fc.integer({ min: 1, max: MAX_PULL_BATCH }),
  fc.constantFrom(0, -1, 1e9, MAX_PULL_BATCH + 1, 1.5, '10', null, true, [10]),
  hugeNumbers,
);
function pullBody(real: Record<string, unknown>): fc.Arbitrary<unknown> {
  const checkpoint = checkpointArb(real);
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ checkpoint, batchSize }) },
    { weight: 1, arbitrary: fc.record({ checkpoint, batchSize, extra: junk }) },
    { weight: 1, arbitrary: fc.record({ checkpoint }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: junk },
  );
}

/** Bodies that attack the parser rather than the schema. */
function rawBodies(limit: number): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    fc.constantFrom(
      '',
      '{',
      '{"checkpoint":null,"batchSize":10,}',
      '{"checkpoint":null,"batchSize":NaN}',
      '{"checkpoint":null,"batchSize":1e999999}',
      '{"checkpoint":null,"checkpoint":{"tx":"1","seq":"1"},"batchSize":10}',
      '{"__proto__":{"batchSize":10},"checkpoint":null}',
      '{"constructor":{"prototype":{"polluted":true}},"checkpoint":null,"batchSize":1}',
      '{"rows":[{"newDocumentState":{"id":"x","_deleted":false,"__proto__":{"polluted":true}}}]}',
      '\uFEFF{"checkpoint":null,"batchSize":10}',
      'null',
      '"rows"',
      '[]',
      '0',
    ),
    fc.integer({ min: 1_000, max: 100_000 }).map((depth) => `{"rows":${'['.repeat(depth)}${']'.repeat(depth)}}`),
    fc.integer({ min: 1_000, max: 100_000 }).map((depth) => `{"checkpoint":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)},"batchSize":1}`),
    fc.integer({ min: 70, max: 5_000 }).map((depth) => {
      const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      return `{"rows":[{"newDocumentState":{"id":"deep","workspace_id":"${GRANTED}","_deleted":false,"x":${nested}},"assumedMasterState":${nested}}]}`;
    }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }),
    // Past the body limit, by a little or a lot.
    fc.integer({ min: limit + 1, max: limit * 3 }).map((size) => `{"rows":[],"pad":"${'x'.repeat(size)}"}`),
  );
}

const PROTOCOL_VALUES = [String(PROTOCOL_VERSION), '0', '-1', '2', '1e9', '1.0', ' 1', 'abc', "1' OR '1'='1", 'x'.repeat(4000)];
const headerValue = fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), fc.constantFrom(...PROTOCOL_VALUES));
/** Mostly absent or right, so that most requests get past the version check to the handlers. */
const protocolHeader = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(undefined, String(PROTOCOL_VERSION)) },
  { weight: 1, arbitrary: headerValue },
);

function authorization(tokens: FuzzTargets): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(`Bearer ${tokens.valid}`) },
    { weight: 4, arbitrary: fc.constantFrom(...tokens.hostile).map((token) => `Bearer ${token}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        undefined,
        'Bearer',
        'Bearer ',
        'bearer x.y.z',
        'Basic dXNlcjpwYXNz',
        `Bearer ${'a'.repeat(20_000)}`,
        'Bearer a b',
      ),
    },
  );
}

function query(tokens: FuzzTargets): fc.Arbitrary<string> {
  const pair = fc.oneof(
    fc.constantFrom(`token=${tokens.valid}`, 'token=', '__proto__[polluted]=1', 'constructor[prototype][polluted]=1', 'token=a&token=b'),
    fc.constantFrom(...tokens.hostile).map((token) => `token=${encodeURIComponent(token)}`),
    fc
      .tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 12 }), fc.string({ unit: 'grapheme-ascii', maxLength: 20 }))
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`),
  );
  return fc.array(pair, { maxLength: 3 }).map((pairs) => (pairs.length ? `?${pairs.join('&')}` : ''));
}

/** Collection path segments: real, unknown, SQL, encoded NUL / lone surrogate / invalid UTF-8. */
const collectionSegment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...COLLECTION_NAMES) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'brainactions',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      "brainActions'--",
      '%27%3B%20DROP%20TABLE%20brain_store_documents%3B--',
      '%00',
      '%ED%A0%80',
      '%FF',
      '%',
      '..%2F..%2Fhealthz',
      'a'.repeat(3000),
    ),
  },
);

/** One hostile request against any endpoint of the surface. */
export function hostileRequest(tokens: FuzzTargets, bodyLimit: number): fc.Arbitrary<HostileRequest> {
  const syncPath = fc
    .tuple(
      collectionSegment,
      fc.oneof(
        { weight: 4, arbitrary: fc.constant('pull') },
        { weight: 8, arbitrary: fc.constant('push') },
        { weight: 2, arbitrary: fc.constant('stream') },
        { weight: 1, arbitrary: fc.constantFrom('nope', '') },
      ),
    )
    .map(([collection, kind]) => {
      const endpoint = (endpoints as unknown as Record<string, unknown>)[kind];
      return typeof endpoint === 'function'
        ? (endpoint as (c: string) => string)('X').replace('X', collection)
        : `/sync/${collection}/${kind}`;
    });
  const path = fc.oneof(
    { weight: 8, arbitrary: syncPath },
    { weight: 1, arbitrary: fc.constantFrom(endpoints.health, endpoints.metrics, '/', '/sync', '/sync/', '//sync/brainActions/pull') },
  );
  const collectionOf = (p: string): keyof typeof COLLECTIONS => COLLECTION_NAMES.find((name) => p.includes(`/${name}/`)) ?? 'brainActions';
  return fc
    .tuple(
      fc.oneof(
        { weight: 20, arbitrary: fc.constant('POST') },
        { weight: 3, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
      ),
      path,
      query(tokens),
      authorization(tokens),
      protocolHeader,
      fc.option(headerValue, { nil: undefined }),
      fc.option(fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'), {
        nil: undefined,
      }),
    )
    .chain(([method, p, q, auth, protocol, clientId, contentType]) => {
      const structured: fc.Arbitrary<unknown> = p.endsWith('/push') ? pushBody(collectionOf(p)) : pullBody(tokens.checkpoint);
      const body: fc.Arbitrary<string | Uint8Array | undefined> =
        method === 'GET' || method === 'HEAD'
          ? fc.constant(undefined)
          : fc.oneof(
              { weight: 6, arbitrary: structured.map((value) => JSON.stringify(value) ?? 'undefined') },
              { weight: 3, arbitrary: rawBodies(bodyLimit) },
            );
      return body.map((b): HostileRequest => {
        const headers: Record<string, string> = {};
        if (auth !== undefined) headers['authorization'] = auth;
        if (protocol !== undefined) headers[PROTOCOL_HEADER] = protocol;
        if (clientId !== undefined) headers[CLIENT_HEADER] = clientId;
        if (contentType !== undefined) headers['content-type'] = contentType;
        return { method, path: p + q, headers, body: b };
      });
    });
}

/**
 * Tokens that must all be refused: unsigned (alg none), wrong issuer, wrong audience,
 * expired, another secret, malformed claims, garbage. Each carries the claims a real
 * token carries (workspaces, role, subject), so only the one defect is what is refused.
 */
export async function hostileTokens(secret: string, now: number): Promise<string[]> {
  const key = new TextEncoder().encode(secret);
  const nowSeconds = Math.floor(now / 1000);
  const claims = { workspaces: [GRANTED, 'w2'], role: 'bot', sub: 'fuzz' };
  const sign = (
    payload: Record<string, unknown>,
    options: { iss?: string; aud?: string; exp?: number; key?: Uint8Array; alg?: string } = {},
  ) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
      .setIssuer(options.iss ?? TOKEN_ISSUER)
      .setAudience(options.aud ?? TOKEN_AUDIENCE)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(options.exp ?? nowSeconds + 3_600)
      .sign(options.key ?? key);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = { ...claims, iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp: nowSeconds + 3_600 };
  return [
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64(unsigned)}.`,
    `${b64({ alg: 'none' })}.${b64(unsigned)}`,
    `${b64({ alg: 'HS256' })}.${b64(unsigned)}.${'A'.repeat(43)}`,
    await sign(claims, { iss: 'evil' }),
    await sign(claims, { aud: 'other-service' }),
    await sign(claims, { exp: nowSeconds - 10 }),
    await sign(claims, { key: new TextEncoder().encode('another-secret-of-enough-length') }),
    await sign(claims, { alg: 'HS512' }),
    await sign({ ...claims, workspaces: 'w2' }),
    await sign({ ...claims, workspaces: [GRANTED, 5] }),
    await sign({ ...claims, workspaces: { 0: 'w2', length: 1 } }),
    'not-a-jwt',
    'a.b.c',
    '....',
    '\u00ff\u00fe',
  ];
}
