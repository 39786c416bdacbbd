import type { RxCollection, RxStorageInstance } from 'rxdb';
import { patchMethod } from './patch-method.ts';

/** A storage query's plan as RxDB prepared it: which index, and whether the index alone answers it. */
export interface PlanRecord {
  readonly index: readonly string[];
  readonly selectorSatisfiedByIndex: boolean;
  readonly sortSatisfiedByIndex: boolean;
  readonly returned: number;
}

/**
 * Records the plan of every query() on a collection's storage instance (`stop()` removes the
 * patch). With selectorSatisfiedByIndex the storage walks exactly the index range, so the
 * documents returned are the documents read.
 */
export function recordQueryPlans(collection: RxCollection<any>): { plans: PlanRecord[]; stop(): void } {
  const instance = collection.storageInstance as unknown as RxStorageInstance<any, any, any>;
  const query = instance.query.bind(instance);
  const plans: PlanRecord[] = [];
  const stop = patchMethod(instance, 'query', async (prepared) => {
    const result = await query(prepared);
    const plan = prepared.queryPlan;
    plans.push({
      index: plan.index,
      selectorSatisfiedByIndex: plan.selectorSatisfiedByIndex,
      sortSatisfiedByIndex: plan.sortSatisfiedByIndex,
      returned: result.documents.length,
    });
    return result;
  });
  return { plans, stop };
}

/** "index [a,b,c] (exact)" per distinct plan. */
export function describePlans(plans: readonly PlanRecord[]): string {
  const distinct = new Map<string, { count: number; returned: number }>();
  for (const plan of plans) {
    const key = `[${plan.index.join(', ')}]${plan.selectorSatisfiedByIndex ? ' exact range' : ' range + filter'}`;
    const entry = distinct.get(key) ?? { count: 0, returned: 0 };
    entry.count += 1;
    entry.returned += plan.returned;
    distinct.set(key, entry);
  }
  return [...distinct].map(([key, { count, returned }]) => `${count}× ${key} → ${returned} docs`).join('; ');
}
