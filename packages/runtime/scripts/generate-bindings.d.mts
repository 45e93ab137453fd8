/** The WIT file the bindings are generated from (the repository's source of truth). */
export declare const WIT_FILE: string;
/** Where the committed bindings live. */
export declare const GENERATED_DIR: string;
/** Generates the guest declarations of `witFile` as `{ relativePath: text }`, sorted by path. */
export declare function generateBindings(witFile?: string): Promise<Record<string, string>>;
/** Replaces the contents of `outDir` with freshly generated bindings; returns the paths written. */
export declare function writeBindings(outDir?: string, witFile?: string): Promise<string[]>;
