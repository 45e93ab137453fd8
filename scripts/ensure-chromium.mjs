// Vitest globalSetup for the browser suites (iframe-sdk, ui-kit): makes sure Debian's
// `chromium` is present so `npm test` works from a clean clone. Browsers are never
// downloaded by npm here; the Debian package is the one allowed source.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Where the browser suites expect Chromium (`playwright-core` `executablePath`). */
export const CHROMIUM_PATH = process.env.ALGA_CHROMIUM_PATH ?? '/usr/bin/chromium';

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `ensure-chromium: \`${command} ${args.join(' ')}\` exited with ${result.status}`,
    );
  }
}

/** Install Chromium from Debian when it is missing; throw with instructions when we cannot. */
export function ensureChromium() {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    throw new Error(
      `ensure-chromium: no Chromium at ${CHROMIUM_PATH}, and this process cannot install it ` +
        `(${isRoot ? 'apt-get not found' : 'not running as root'}). Install it with ` +
        '`sudo apt-get install -y chromium`, or point ALGA_CHROMIUM_PATH at a Chromium binary.',
    );
  }
  console.log(`ensure-chromium: ${CHROMIUM_PATH} missing, installing Debian's chromium (1-2 min)`);
  run('apt-get', ['update', '-q']);
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium']);
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`ensure-chromium: apt-get installed chromium but ${CHROMIUM_PATH} is absent`);
  }
  return CHROMIUM_PATH;
}

/** Vitest `globalSetup` entry: runs once per test run before the browser suites start. */
export default function setup() {
  ensureChromium();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) ensureChromium();
