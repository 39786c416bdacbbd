import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, MAX_TIME } from '../../../src/collections/fields.ts';
import type { Writer } from '../../../src/collections/write-rules.ts';
import type { WireDocument } from '../../../src/protocol/messages.ts';
import { startTestServer, type TestBackend, type TestServer } from '../../helpers/sync-server.ts';
import { action, client, summary, T0 } from '../fixtures.ts';

const HOUR = 3_600_000;
let serial = 0;
const BOT: Writer = { role: 'bot', subject: 'the-bot' };
const DANA: Writer = { role: 'member', subject: 'dana' };
const OPS: Writer = { role: 'operator', subject: 'ops' };

function insight(id: string, created: number): WireDocument {
  return {
    id,
    workspace_id: 'w1',
    insight_type: 'trending_topic',
    pattern: 'pricing',
    frequency: 3,
    examples: ['how much?'],
    confidence: 'high',
    time_range: 'today',
    created_at: created,
    created_desc: MAX_TIME - created,
    _deleted: false,
  };
}

type Api = ReturnType<typeof client>;
type Expect = 'written' | 'FORBIDDEN_ROLE' | 'CLOCK_SKEW';

/**
 * Who may write what (issue 9), judged per push row by the server against the version it
 * stores, and the time rules (issue 12.1) against the server's clock.
 */
export function rolesContract(backend: TestBackend): void {
  describe('roles and time rules (issues 9, 12.1)', () => {
    // The server's clock: one hour after the fixtures' creation time.
    let now = T0 + HOUR;
    let server: TestServer;
    const api: Record<'bot' | 'member' | 'operator' | 'otherMember', Api> = {} as never;
    beforeAll(async () => {
      server = await startTestServer({ backend, now: () => now, timeAllowance: { skewMs: 5 * 60_000, maxPastMs: 30 * DAY_MS } });
      const token = (writer: Writer) => server.token(['w1'], 365 * 86_400, writer);
      api.bot = client(server.url, await token(BOT));
      api.member = client(server.url, await token(DANA));
      api.otherMember = client(server.url, await token({ role: 'member', subject: 'sam' }));
      api.operator = client(server.url, await token(OPS));
    });
    afterAll(() => server.close());
    beforeEach(async () => {
      now = T0 + HOUR;
      await server.reset();
    });

    /** Pushes one row as `who`; checks the outcome and that a refused row left the stored version as it was. */
    async function attempt(
      who: Api,
      collection: string,
      row: { newDocumentState: WireDocument; assumedMasterState?: WireDocument | null },
      expected: Expect,
    ) {
      const before = (await api.bot.pullAll(collection)).documents;
      const { status, body } = await who.push(collection, [row]);
      expect(status).toBe(200);
      const id = row.newDocumentState.id;
      if (expected === 'written') {
        expect(body).toEqual({ conflicts: [], rejected: [] });
        expect((await api.bot.pullAll(collection)).documents.find((doc) => doc.id === id)).toEqual(row.newDocumentState);
        return;
      }
      expect(body.conflicts).toEqual([]);
      const stored = before.find((doc) => doc.id === id) ?? null;
      expect(body.rejected).toEqual([
        { id, code: expected, message: expect.any(String), issues: [expect.objectContaining({ path: expect.any(Array) })], master: stored },
      ]);
      expect((await api.bot.pullAll(collection)).documents).toEqual(before);
    }

    const seeded = async (doc: WireDocument, collection = 'brainActions') => {
      expect((await api.bot.push(collection, [{ newDocumentState: doc }])).body.rejected).toEqual([]);
      return doc;
    };

    describe('role × collection × create / field edit / delete', () => {
      const documents = {
        brainSummaries: () => summary(`s-${++serial}`, T0),
        brainInsights: () => insight(`i-${++serial}`, T0),
        brainActions: () => action('w1'),
      };
      const edits: Record<string, (doc: WireDocument) => WireDocument> = {
        brainSummaries: (doc) => ({ ...doc, summary_text: 'forged' }),
        brainInsights: (doc) => ({ ...doc, frequency: 99 }),
        brainActions: (doc) => ({ ...doc, priority: 99, priority_rank: 1 }),
      };
      const table: [keyof typeof api, keyof typeof documents, Expect, Expect, Expect][] = [
        // who, collection, create, field edit, delete
        ['bot', 'brainSummaries', 'written', 'FORBIDDEN_ROLE', 'written'],
        ['bot', 'brainInsights', 'written', 'FORBIDDEN_ROLE', 'written'],
        ['bot', 'brainActions', 'written', 'written', 'written'],
        ['member', 'brainSummaries', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE'],
        ['member', 'brainInsights', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE'],
        ['member', 'brainActions', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE'],
        ['operator', 'brainSummaries', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE'],
        ['operator', 'brainInsights', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE'],
        ['operator', 'brainActions', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE', 'FORBIDDEN_ROLE'],
      ];
      it.each(table)('%s in %s: create %s, edit %s, delete %s', async (who, collection, create, edit, remove) => {
        await attempt(api[who], collection, { newDocumentState: documents[collection]() }, create);
        const stored = await seeded(documents[collection](), collection);
        await attempt(api[who], collection, { newDocumentState: edits[collection]!(stored), assumedMasterState: stored }, edit);
        const current = (await api.bot.pullAll(collection)).documents.find((doc) => doc.id === stored.id)!;
        await attempt(api[who], collection, { newDocumentState: { ...current, _deleted: true }, assumedMasterState: current }, remove);
      });

      it('a bot edits only what a recommendation may change: not its contact, type or creation', async () => {
        const stored = await seeded(action('w1'));
        for (const change of [
          { contact_id: 'c2' },
          { action_type: 'handoff_ready' },
          { created_at: T0 + 1, status_at: T0 + 1, created_desc: MAX_TIME - T0 - 1 },
        ]) {
          await attempt(
            api.bot,
            'brainActions',
            { newDocumentState: { ...stored, ...change }, assumedMasterState: stored },
            'FORBIDDEN_ROLE',
          );
        }
        const edited = { ...stored, urgency: 'immediate', reason: 'r2', suggested_message: 'hi', expires_at: T0 + 2 * DAY_MS };
        await attempt(api.bot, 'brainActions', { newDocumentState: edited, assumedMasterState: stored }, 'written');
      });
    });

    describe('each transition', () => {
      const at = T0 + HOUR - 1_000;
      const transitions = {
        actioned: (doc: WireDocument, by = 'dana', when = at) => ({
          ...doc,
          status: 'actioned',
          status_at: when,
          actioned_at: when,
          actioned_by: by,
        }),
        dismissed: (doc: WireDocument, when = at) => ({ ...doc, status: 'dismissed', status_at: when }),
        expired: (doc: WireDocument) => ({ ...doc, status: 'expired', status_at: doc['expires_at'] }),
      };

      it('a member actions as itself, dismisses, and expires once due', async () => {
        const a = await seeded(action('w1'));
        await attempt(api.member, 'brainActions', { newDocumentState: transitions.actioned(a), assumedMasterState: a }, 'written');
        const d = await seeded(action('w1'));
        await attempt(api.member, 'brainActions', { newDocumentState: transitions.dismissed(d), assumedMasterState: d }, 'written');
        const due = await seeded(action('w1', { expires_at: T0 + HOUR }));
        await attempt(api.member, 'brainActions', { newDocumentState: transitions.expired(due), assumedMasterState: due }, 'written');
      });

      it('refuses a member a forged actioned_by, a skewed or impossible actioned_at, a transition from a terminal state, and any extra change', async () => {
        const doc = await seeded(action('w1'));
        const row = (next: WireDocument) => ({ newDocumentState: next, assumedMasterState: doc });
        await attempt(api.member, 'brainActions', row(transitions.actioned(doc, 'sam')), 'FORBIDDEN_ROLE');
        await attempt(api.otherMember, 'brainActions', row(transitions.actioned(doc, 'dana')), 'FORBIDDEN_ROLE');
        // A clock 25 h fast, and one an hour fast: beyond the server's allowance.
        await attempt(api.member, 'brainActions', row(transitions.actioned(doc, 'dana', now + 25 * HOUR)), 'CLOCK_SKEW');
        await attempt(api.member, 'brainActions', row(transitions.actioned(doc, 'dana', now + HOUR)), 'CLOCK_SKEW');
        // Before the action existed, or after it had expired.
        await attempt(api.member, 'brainActions', row(transitions.actioned(doc, 'dana', T0 - 1)), 'FORBIDDEN_ROLE');
        await attempt(api.member, 'brainActions', row({ ...transitions.actioned(doc), actioned_at: at - 1 }), 'FORBIDDEN_ROLE');
        await attempt(api.member, 'brainActions', row({ ...transitions.dismissed(doc), priority: 1, priority_rank: 99 }), 'FORBIDDEN_ROLE');
        await attempt(api.member, 'brainActions', row({ ...transitions.dismissed(doc), reason: 'mine' }), 'FORBIDDEN_ROLE');
        const done = await seeded(transitions.dismissed(action('w1')));
        await attempt(
          api.member,
          'brainActions',
          { newDocumentState: transitions.actioned(done), assumedMasterState: done },
          'FORBIDDEN_ROLE',
        );
        const late = await seeded(action('w1', { expires_at: T0 + 10_000 }));
        await attempt(
          api.member,
          'brainActions',
          { newDocumentState: transitions.dismissed(late), assumedMasterState: late },
          'FORBIDDEN_ROLE',
        );
      });

      it('a bot makes every transition; an operator none', async () => {
        for (const make of [transitions.actioned, transitions.dismissed] as const) {
          const doc = await seeded(action('w1'));
          await attempt(api.operator, 'brainActions', { newDocumentState: make(doc), assumedMasterState: doc }, 'FORBIDDEN_ROLE');
          await attempt(api.bot, 'brainActions', { newDocumentState: make(doc), assumedMasterState: doc }, 'written');
        }
        const due = await seeded(action('w1', { expires_at: T0 + HOUR }));
        await attempt(api.bot, 'brainActions', { newDocumentState: transitions.expired(due), assumedMasterState: due }, 'written');
      });

      it('an identical resend is accepted from any role (it writes nothing)', async () => {
        const doc = await seeded(action('w1'));
        for (const who of [api.member, api.operator])
          await attempt(who, 'brainActions', { newDocumentState: doc, assumedMasterState: doc }, 'written');
      });

      it('a refused row never stalls the batch, and a member learns nothing of other workspaces', async () => {
        const doc = await seeded(action('w1'));
        const good = transitions.dismissed(doc);
        const { body } = await api.member.push('brainActions', [
          { newDocumentState: action('w1') },
          { newDocumentState: good, assumedMasterState: doc },
          { newDocumentState: action('w2') },
        ]);
        expect(body.rejected.map((row) => row.code)).toEqual(['FORBIDDEN_ROLE', 'FORBIDDEN_WORKSPACE']);
        expect(body.rejected[1]!.master).toBeNull();
        expect((await api.bot.pullAll('brainActions')).documents).toEqual([good]);
      });
    });

    describe('audit and operators (issue 9.6)', () => {
      it('logs every accepted write with subject, role, collection, id and transition; counts refusals per code for operators', async () => {
        const lines: Record<string, unknown>[] = [];
        const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
        const audited = await startTestServer({ backend, now: () => now, logger });
        const member = client(audited.url, await audited.token(['w1'], 3_600, DANA));
        const doc = action('w1');
        await client(audited.url, await audited.token(['w1'], 3_600, BOT)).push('brainActions', [{ newDocumentState: doc }]);
        const dismissed = { ...doc, status: 'dismissed', status_at: now - 1 };
        await member.push('brainActions', [{ newDocumentState: dismissed, assumedMasterState: doc }, { newDocumentState: action('w1') }]);
        const written = lines.filter((line) => line['msg'] === 'push rows written');
        expect(written.map(({ subject, role, collection, writes }) => ({ subject, role, collection, writes }))).toEqual([
          {
            subject: 'the-bot',
            role: 'bot',
            collection: 'brainActions',
            writes: [{ id: doc.id, workspace: 'w1', transition: 'new → pending' }],
          },
          {
            subject: 'dana',
            role: 'member',
            collection: 'brainActions',
            writes: [{ id: doc.id, workspace: 'w1', transition: 'pending → dismissed' }],
          },
        ]);

        const metrics = async (token?: string) =>
          fetch(`${audited.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
        expect((await metrics()).status).toBe(401);
        for (const writer of [BOT, DANA]) expect((await metrics(await audited.token(['w1'], 60, writer))).status).toBe(403);
        const text = await (await metrics(await audited.token(['w1'], 60, OPS))).text();
        expect(text).toMatch(/^brain_store_rejected_rows_total\{collection="brainActions",code="FORBIDDEN_ROLE"\} 1$/m);
        expect((await fetch(`${audited.url}/healthz`)).status).toBe(200);
        await audited.close();
      });
    });

    describe('the server judges time, for every role (issue 12.1)', () => {
      it('refuses an expiry of an action not yet due by the server clock: a +25 h client expiring a fresh action', async () => {
        const fresh = await seeded(
          action('w1', {
            created_at: now - 1_000,
            status_at: now - 1_000,
            created_desc: MAX_TIME - now + 1_000,
            expires_at: now - 1_000 + DAY_MS,
          }),
        );
        const expired = { ...fresh, status: 'expired', status_at: fresh['expires_at'] };
        for (const who of [api.bot, api.member]) {
          await attempt(who, 'brainActions', { newDocumentState: expired, assumedMasterState: fresh }, 'CLOCK_SKEW');
        }
        // Within the allowance it is accepted: expires_at 1 min ahead of the server's clock.
        const soon = await seeded(action('w1', { expires_at: now + 60_000 }));
        await attempt(
          api.bot,
          'brainActions',
          { newDocumentState: { ...soon, status: 'expired', status_at: soon['expires_at'] }, assumedMasterState: soon },
          'written',
        );
        // The server's own expiry follows only its clock: the fresh action stays pending.
        expect((await server.runMaintenance()).expired).toBe(0);
      });

      it('refuses times far in the future, and a creation far in the past', async () => {
        const future = now + 25 * HOUR;
        await attempt(api.bot, 'brainActions', { newDocumentState: action('w1', { created_at: future }) }, 'CLOCK_SKEW');
        await attempt(api.bot, 'brainSummaries', { newDocumentState: summary('s-future', future) }, 'CLOCK_SKEW');
        await attempt(api.bot, 'brainInsights', { newDocumentState: insight('i-future', future) }, 'CLOCK_SKEW');
        const doc = await seeded(action('w1'));
        await attempt(
          api.bot,
          'brainActions',
          { newDocumentState: { ...doc, status: 'dismissed', status_at: future }, assumedMasterState: doc },
          'CLOCK_SKEW',
        );
        const old = now - 31 * DAY_MS;
        await attempt(api.bot, 'brainSummaries', { newDocumentState: summary('s-old', old) }, 'CLOCK_SKEW');
        await attempt(api.bot, 'brainActions', { newDocumentState: action('w1', { created_at: old }) }, 'CLOCK_SKEW');
        // Within the allowances: 4 minutes ahead, 29 days back.
        await attempt(api.bot, 'brainSummaries', { newDocumentState: summary('s-ok', now + 4 * 60_000) }, 'written');
        await attempt(api.bot, 'brainSummaries', { newDocumentState: summary('s-ok-old', now - 29 * DAY_MS) }, 'written');
      });
    });
  });
}
