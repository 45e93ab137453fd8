import { version } from '../package.json';

/** The version of `@alga/iframe-sdk`, sent in the handshake so mismatches can be reported. */
export const SDK_VERSION: string = version;
