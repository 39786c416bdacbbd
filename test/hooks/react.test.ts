// @vitest-environment happy-dom
import { act, cleanup, render, waitFor } from '@testing-library/react';
import { createElement, type ReactElement } from 'react';
import { afterEach } from 'vitest';
import * as hooks from '../../src/hooks/react.ts';
import { runHookContract } from './hooks-contract.ts';

// React warns unless it knows it runs under a test's act().
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
afterEach(cleanup);

runHookContract('React', {
  hooks,
  h: (type, props, ...children) => createElement(type as Parameters<typeof createElement>[0], props, ...(children as [])),
  render: (element) => render(element as ReactElement),
  waitFor: (check) => waitFor(check),
  act: async (work) => {
    await act(async () => {
      await work();
    });
  },
});
