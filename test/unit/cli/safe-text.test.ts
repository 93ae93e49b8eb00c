import { describe, expect, it } from 'vitest';
import { safeText } from '../../../src/cli/safe-text.js';
import { renderSubmissionsText } from '../../../src/cli/commands/submissions.js';

describe('safeText', () => {
  it('shows control characters (an ANSI escape, a bell) instead of sending them to the terminal', () => {
    expect(safeText('a\u001b[2Jb\u0007')).toBe('a\\u001b[2Jb\\u0007');
    expect(safeText('line1\nline2', true)).toBe('line1\nline2');
    expect(safeText('line1\nline2')).toBe('line1\\u000aline2');
  });

  it('is applied to what Kaggle lists', () => {
    const text = renderSubmissionsText({
      competition: 'digit-recognizer',
      polls: 1,
      tracked: [],
      listing: [
        {
          fileName: 'x\u001b]0;pwned\u0007.csv',
          date: '2026-11-27 10:00:00',
          description: 'd',
          status: 'complete',
          rawStatus: 'complete',
          publicScore: 0.9,
        },
      ],
    });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(text).toContain('x\\u001b]0;pwned\\u0007.csv');
  });
});
