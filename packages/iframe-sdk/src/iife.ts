/**
 * Entry of the minified IIFE build (`dist/alga-iframe-sdk.iife.js`): the same API as the
 * ESM entry, on a global `AlgaIframe` for pages that load it with a plain `<script>` tag.
 *
 * @packageDocumentation
 */
export * from './index';
