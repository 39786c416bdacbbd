import { describe, expect, it } from 'vitest';
import { runCli } from '../../bin/cli.ts';
import { runDemo } from '../../bin/demo.ts';

describe('CLI defects found by issue 17', () => {
  it('regression #17: demo --step-ms 0 runs to its end (the 1 ms action expired before the table showed it, and the demo waited for it forever)', async () => {
    const lines: string[] = [];
    await runDemo({ stepMs: 0, print: (line) => lines.push(line) });
    expect(lines.at(-1)).toMatch(/^\ndone in .* actions: pending 0, actioned 1, dismissed 1, expired 2$/);
  });

  it("regression #17: token --ttl -5 is one line naming --ttl, exit 2 (was parseArgs' three lines)", async () => {
    let err = '';
    const saved = process.env['AUTH_SECRET'];
    process.env['AUTH_SECRET'] = 'a-secret-of-sixteen-or-more';
    try {
      const code = await runCli(
        ['token', '--workspace', 'w', '--role', 'bot', '--ttl', '-5'],
        { write: () => true },
        { write: (text: string) => (err += text) },
      );
      expect(code).toBe(2);
      expect(err).toBe('brain-store token: --ttl must be a whole number ≥ 1 (see brain-store token --help)\n');
    } finally {
      if (saved === undefined) delete process.env['AUTH_SECRET'];
      else process.env['AUTH_SECRET'] = saved;
    }
  });
});
