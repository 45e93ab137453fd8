import {
  BridgeError,
  DARK_THEME,
  LIGHT_THEME,
  resolveTheme,
  themeToCssVariables,
} from '@alga/iframe-sdk';
import { describe, expect, test } from 'vitest';

describe('theme tokens', () => {
  test('resolveTheme fills what the host leaves out from the defaults of its mode', () => {
    const theme = resolveTheme({
      mode: 'dark',
      colors: { primary: '#ff0000', brandAccent: 'rgb(1, 2, 3)' },
    });
    expect(theme.mode).toBe('dark');
    expect(theme.colors.primary).toBe('#ff0000');
    expect(theme.colors.brandAccent).toBe('rgb(1, 2, 3)');
    expect(theme.colors.background).toBe(DARK_THEME.colors.background);
    expect(theme.spacing).toEqual(DARK_THEME.spacing);
    expect(resolveTheme().colors.background).toBe(LIGHT_THEME.colors.background);
  });

  test('the defaults are frozen all the way down', () => {
    expect(Object.isFrozen(LIGHT_THEME.colors)).toBe(true);
    expect(() => {
      (LIGHT_THEME.colors as Record<string, string>).primary = 'red';
    }).toThrow(TypeError);
  });

  test('themeToCssVariables names every token --alga-<group>-<kebab-key>', () => {
    const vars = themeToCssVariables(resolveTheme({ colors: { primaryForeground: '#fff' } }));
    expect(vars['--alga-color-primary-foreground']).toBe('#fff');
    expect(vars['--alga-radius-md']).toBe('6px');
    expect(vars['--alga-font-body']).toContain('system-ui');
    expect(vars['--alga-font-size-sm']).toBe('0.875rem');
    expect(vars['--alga-space-lg']).toBe('16px');
    expect(Object.keys(vars).every((name) => /^--alga-[a-z-]+$/.test(name))).toBe(true);
  });

  test.each([
    [
      { colors: { primary: 'url(https://evil.example/x.png)' } },
      'colors.primary: must not load resources',
    ],
    [{ colors: { primary: 'red; background: blue' } }, 'colors.primary: must be a CSS colour'],
    [{ colors: { 'Bad-Key': 'red' } }, 'colors.Bad-Key'],
    [{ mode: 'sepia' }, 'mode: must be one of "light", "dark"'],
    [{ shadows: {} }, 'unknown key shadows'],
  ])('refuses %o naming the token', (input, fragment) => {
    try {
      resolveTheme(input);
      expect.unreachable('resolveTheme accepted a bad theme');
    } catch (error) {
      expect(error).toBeInstanceOf(BridgeError);
      expect((error as BridgeError).code).toBe('INVALID_ARGUMENT');
      expect((error as BridgeError).message).toContain(fragment);
    }
  });
});
