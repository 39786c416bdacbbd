import { describe, expect, it } from 'vitest';
import { BrainStoreError, type BrainStore } from '../../src/index.ts';
import { STORAGES } from '../helpers/storages.ts';
import { actionArgs, insightArgs, storesWithClock, summaryArgs } from './fixtures.ts';

type Path = (string | number)[];
/** Each case: what to call, and the path the VALIDATION issue must name. */
type Case = readonly [name: string, call: (store: BrainStore, existing: string) => unknown, path: Path];

const MB = 'x'.repeat(1_048_576);
const withProto = <T extends object>(args: T): T => JSON.parse(JSON.stringify(args).replace(/^\{/, '{"__proto__":{"polluted":true},')) as T;
const bad = <T>(value: unknown) => value as T;

/** The hostile values every string/number field must refuse, per write function. */
function writeCases(): Case[] {
  const summary = (over: object, path: Path): Case => [
    `createSummary ${JSON.stringify(path)} ${JSON.stringify(Object.values(over)[0])?.slice(0, 30)}`,
    (s) => s.brainSummaries.createSummary(bad({ ...summaryArgs(), ...over })),
    path,
  ];
  const insight = (over: object, path: Path): Case => [
    `createInsight ${JSON.stringify(path)} ${JSON.stringify(Object.values(over)[0])?.slice(0, 30)}`,
    (s) => s.brainInsights.createInsight(bad({ ...insightArgs(), ...over })),
    path,
  ];
  const action = (over: object, path: Path): Case => [
    `createActionRecommendation ${JSON.stringify(path)} ${JSON.stringify(Object.values(over)[0])?.slice(0, 30)}`,
    (s) => s.brainActions.createActionRecommendation(bad({ ...actionArgs(), ...over })),
    path,
  ];
  const { workspace_id: _w, ...summaryWithoutWorkspace } = summaryArgs();
  const { pattern: _p, ...insightWithoutPattern } = insightArgs();
  const { priority: _pr, ...actionWithoutPriority } = actionArgs();
  return [
    summary({ summary_type: 'weekly' }, ['summary_type']),
    summary({ trigger: 'CRON' }, ['trigger']),
    ['createSummary missing workspace_id', (s) => s.brainSummaries.createSummary(bad(summaryWithoutWorkspace)), ['workspace_id']],
    summary({ metrics: { ...summaryArgs().metrics, newLeadsCount: -1 } }, ['metrics', 'newLeadsCount']),
    summary({ metrics: { ...summaryArgs().metrics, responseRate: Number.NaN } }, ['metrics', 'responseRate']),
    summary({ metrics: { ...summaryArgs().metrics, avgScore: Number.POSITIVE_INFINITY } }, ['metrics', 'avgScore']),
    summary({ metrics: { ...summaryArgs().metrics, topQuestions: ['ok', 'a\u0000b'] } }, ['metrics', 'topQuestions', 1]),
    summary({ metrics: { ...summaryArgs().metrics, shadow: 1 } }, ['metrics', 'shadow']),
    summary({ tokens_used: 2.5 }, ['tokens_used']),
    summary({ cost_usd: Number.NEGATIVE_INFINITY }, ['cost_usd']),
    summary({ summary_text: MB }, ['summary_text']),
    summary({ summary_text: 'lone \uD83D surrogate' }, ['summary_text']),
    summary({ triggered_by: 'nul\u0000' }, ['triggered_by']),
    summary({ created_at: 5 }, ['created_at']), // set by the store, not the caller
    summary({ extra: true }, ['extra']),
    ['createSummary __proto__ key', (s) => s.brainSummaries.createSummary(withProto(summaryArgs())), ['__proto__']],
    [
      'createSummary nested __proto__ key',
      (s) => s.brainSummaries.createSummary({ ...summaryArgs(), metrics: withProto(summaryArgs().metrics) }),
      ['metrics', '__proto__'],
    ],
    [
      'createSummary inherited fields (regression: zod read fields from the prototype)',
      (s) => s.brainSummaries.createSummary(Object.create(summaryArgs()) as never),
      [],
    ],

    insight({ insight_type: 'hunch' }, ['insight_type']),
    insight({ confidence: 'certain' }, ['confidence']),
    insight({ time_range: 'year' }, ['time_range']),
    ['createInsight missing pattern', (s) => s.brainInsights.createInsight(bad(insightWithoutPattern)), ['pattern']],
    insight({ frequency: -1 }, ['frequency']),
    insight({ frequency: Number.NaN }, ['frequency']),
    insight({ frequency: 0.5 }, ['frequency']),
    insight({ examples: ['fine', '\uDC00'] }, ['examples', 1]),
    insight({ examples: 'not an array' }, ['examples']),
    insight({ pattern: MB }, ['pattern']),
    insight({ recommendation: 'a\u0000' }, ['recommendation']),
    insight({ id: 'mine' }, ['id']),
    ['createInsight __proto__ key', (s) => s.brainInsights.createInsight(withProto(insightArgs())), ['__proto__']],
    [
      'bulkCreateInsights bad item 3',
      (s) =>
        s.brainInsights.bulkCreateInsights({
          insights: [insightArgs(), insightArgs(), insightArgs(), bad({ ...insightArgs(), priority: 1 })],
        }),
      ['insights', 3, 'priority'],
    ],
    [
      'bulkCreateInsights __proto__ in item 1',
      (s) => s.brainInsights.bulkCreateInsights({ insights: [insightArgs(), withProto(insightArgs())] }),
      ['insights', 1, '__proto__'],
    ],
    [
      'bulkCreateInsights extra arg',
      (s) => s.brainInsights.bulkCreateInsights(bad({ insights: [insightArgs()], dryRun: true })),
      ['dryRun'],
    ],

    action({ action_type: 'call' }, ['action_type']),
    action({ urgency: 'later' }, ['urgency']),
    [
      'createActionRecommendation missing priority',
      (s) => s.brainActions.createActionRecommendation(bad(actionWithoutPriority)),
      ['priority'],
    ],
    action({ priority: 101 }, ['priority']),
    action({ priority: -1 }, ['priority']),
    action({ priority: 2.5 }, ['priority']),
    action({ priority: Number.NaN }, ['priority']),
    action({ priority: Number.POSITIVE_INFINITY }, ['priority']),
    action({ priority: '50' }, ['priority']),
    action({ expires_at: Number.NaN }, ['expires_at']),
    action({ expires_at: 1.5 }, ['expires_at']),
    action({ expires_at: -1 }, ['expires_at']),
    action({ reason: MB }, ['reason']),
    action({ reason: 'a\u0000b' }, ['reason']),
    action({ suggested_message: '\uD800' }, ['suggested_message']),
    action({ contact_id: '' }, ['contact_id']),
    action({ status: 'actioned' }, ['status']),
    action({ extra: 1 }, ['extra']),
    ['createActionRecommendation __proto__ key', (s) => s.brainActions.createActionRecommendation(withProto(actionArgs())), ['__proto__']],

    ['markActionActioned missing actioned_by', (s, id) => s.brainActions.markActionActioned(bad({ action_id: id })), ['actioned_by']],
    [
      'markActionActioned NUL actioned_by',
      (s, id) => s.brainActions.markActionActioned({ action_id: id, actioned_by: 'a\u0000' }),
      ['actioned_by'],
    ],
    [
      'markActionActioned 1 MB actioned_by',
      (s, id) => s.brainActions.markActionActioned({ action_id: id, actioned_by: MB }),
      ['actioned_by'],
    ],
    [
      'markActionActioned extra field',
      (s, id) => s.brainActions.markActionActioned(bad({ action_id: id, actioned_by: 'u', actioned_at: 1 })),
      ['actioned_at'],
    ],
    ['markActionActioned numeric id', (s) => s.brainActions.markActionActioned(bad({ action_id: 7, actioned_by: 'u' })), ['action_id']],
    ['dismissAction lone surrogate id', (s) => s.brainActions.dismissAction({ action_id: '\uDBFF' }), ['action_id']],
    ['dismissAction __proto__ key', (s, id) => s.brainActions.dismissAction(withProto({ action_id: id })), ['__proto__']],
  ];
}

function readCases(): Case[] {
  return [
    ['getLatestSummary missing workspace_id', (s) => s.brainSummaries.getLatestSummary(bad({})), ['workspace_id']],
    ['getLatestSummary extra', (s) => s.brainSummaries.getLatestSummary(bad({ workspace_id: 'w1', since: 1 })), ['since']],
    ['getSummariesByWorkspace limit 0', (s) => s.brainSummaries.getSummariesByWorkspace({ workspace_id: 'w1', limit: 0 }), ['limit']],
    ['getSummariesByWorkspace limit 101', (s) => s.brainSummaries.getSummariesByWorkspace({ workspace_id: 'w1', limit: 101 }), ['limit']],
    ['getSummariesByWorkspace limit 2.5', (s) => s.brainSummaries.getSummariesByWorkspace({ workspace_id: 'w1', limit: 2.5 }), ['limit']],
    [
      'getSummariesByWorkspace bad type',
      (s) => s.brainSummaries.getSummariesByWorkspace(bad({ workspace_id: 'w1', summary_type: 'weekly' })),
      ['summary_type'],
    ],
    ['getRecentSummaries days NaN', (s) => s.brainSummaries.getRecentSummaries({ workspace_id: 'w1', days: Number.NaN }), ['days']],
    ['getRecentSummaries days 0', (s) => s.brainSummaries.getRecentSummaries({ workspace_id: 'w1', days: 0 }), ['days']],
    [
      'getRecentSummaries days Infinity',
      (s) => s.brainSummaries.getRecentSummaries({ workspace_id: 'w1', days: Number.POSITIVE_INFINITY }),
      ['days'],
    ],
    [
      'getInsightsByWorkspace bad time_range',
      (s) => s.brainInsights.getInsightsByWorkspace(bad({ workspace_id: 'w1', time_range: 'year' })),
      ['time_range'],
    ],
    ['getInsightsByWorkspace NUL workspace', (s) => s.brainInsights.getInsightsByWorkspace({ workspace_id: 'w\u0000' }), ['workspace_id']],
    ['getInsightsByWorkspace limit 101', (s) => s.brainInsights.getInsightsByWorkspace({ workspace_id: 'w1', limit: 101 }), ['limit']],
    [
      'getActionsByWorkspace bad status',
      (s) => s.brainActions.getActionsByWorkspace(bad({ workspace_id: 'w1', status: 'done' })),
      ['status'],
    ],
    ['getActionsByWorkspace limit -1', (s) => s.brainActions.getActionsByWorkspace({ workspace_id: 'w1', limit: -1 }), ['limit']],
    [
      'getActionsByPriority bad urgency',
      (s) => s.brainActions.getActionsByPriority(bad({ workspace_id: 'w1', urgency: 'now' })),
      ['urgency'],
    ],
    ['getActionsByPriority 1 MB workspace', (s) => s.brainActions.getActionsByPriority({ workspace_id: MB }), ['workspace_id']],
    ['getActionsByPriority __proto__ key', (s) => s.brainActions.getActionsByPriority(withProto({ workspace_id: 'w1' })), ['__proto__']],
  ];
}

async function snapshot(store: BrainStore) {
  const all = await Promise.all(
    (['brainSummaries', 'brainInsights', 'brainActions'] as const).map(async (name) =>
      (await store.database[name].find().exec()).map((d) => d.toJSON(true)),
    ),
  );
  return all;
}

describe.each(STORAGES)('bad input on $name', ({ make }) => {
  const setup = storesWithClock(make);

  it.each([...writeCases(), ...readCases()])('%s → VALIDATION naming the path, nothing written', async (_name, call, path) => {
    const { store } = await setup();
    const existing = await store.brainActions.createActionRecommendation(actionArgs());
    const before = await snapshot(store);
    let error: unknown;
    try {
      await call(store, existing);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BrainStoreError);
    expect((error as BrainStoreError).code).toBe('VALIDATION');
    expect((error as BrainStoreError).issues.map((issue) => issue.path)).toContainEqual(path);
    expect(await snapshot(store)).toEqual(before);
  });
});
