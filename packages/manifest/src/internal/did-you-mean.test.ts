import { describe, expect, it } from 'vitest';
import { closest, didYouMean } from './did-you-mean.js';

describe('did you mean', () => {
  const fields = ['name', 'capabilities', 'settings', 'http', 'api'];

  it('finds transpositions, omissions and case slips', () => {
    expect(closest('nmae', fields)).toBe('name');
    expect(closest('capabilites', fields)).toBe('capabilities');
    expect(closest('Settings', fields)).toBe('settings');
    expect(closest('HTTP', fields)).toBe('http');
  });

  it('offers nothing for distant words or very short inputs', () => {
    expect(closest('permissions', fields)).toBeUndefined();
    expect(closest('ab', fields)).toBeUndefined();
    expect(didYouMean('b', ['a'])).toBe('');
    expect(didYouMean(42, fields)).toBe('');
    expect(didYouMean('capabilites', fields)).toBe(" (did you mean 'capabilities'?)");
  });
});
