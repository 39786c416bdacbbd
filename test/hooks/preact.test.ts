// @vitest-environment happy-dom
import { act, cleanup, render, waitFor } from '@testing-library/preact';
import { h, type VNode } from 'preact';
import { afterEach } from 'vitest';
import * as hooks from '../../src/hooks/preact.ts';
import { runHookContract } from './hooks-contract.ts';

afterEach(cleanup);

runHookContract('Preact', {
  hooks: hooks as unknown as Parameters<typeof runHookContract>[1]['hooks'],
  h: (type, props, ...children) => h(type as Parameters<typeof h>[0], props ?? null, ...(children as [])),
  render: (element) => {
    const view = render(element as VNode);
    return { container: view.container as HTMLElement, rerender: (next) => view.rerender(next as VNode), unmount: view.unmount };
  },
  waitFor: (check) => waitFor(check),
  act: async (work) => {
    await act(async () => {
      await work();
    });
  },
});
