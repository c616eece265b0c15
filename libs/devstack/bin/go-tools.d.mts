/** The machine's cache of built programs (shared by every clone of the project). See go-tools.mjs. */
export function goToolsCacheRoot(): string;

/**
 * Installs every program of `pins` (tools.json "go": name → package@version; keys starting with
 * `$` are comments) into `<root>/.tools/bin`; never throws. See go-tools.mjs.
 */
export function installGoTools(root: string, pins: Record<string, string> | undefined): Promise<void>;
