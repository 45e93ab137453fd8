/**
 * `@alga/host`: everything a host application needs to run Alga extensions safely.
 *
 * Modules: bundle (pack, hash, sign, verify), store (bundle stores), registry (publish,
 * installs, settings), secrets (sealed envelopes), runner (isolated execution), gateway
 * (HTTP), ui (asset serving), observability (events, metrics, logs, debug stream).
 *
 * @packageDocumentation
 */
export {};
