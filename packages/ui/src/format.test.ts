import { describe, expect, it } from 'vitest';
import { shownMessage } from './format.js';

describe('shownMessage', () => {
  it('drops escape sequences and applies carriage returns, line by line', () => {
    expect(
      shownMessage(
        'thrown \x1b[31mred error\x1b[0m\n10%\r100% \x1b]0;t\x07done',
      ),
    ).toBe('thrown red error\n100% done');
  });

  it('keeps markup as text for the page to escape', () => {
    expect(shownMessage('<img src=x onerror="x()">')).toBe(
      '<img src=x onerror="x()">',
    );
  });
});
