// Types of infra/build.mjs, for the tests that import it.
import type { BuildOptions, Metafile } from 'esbuild';

export const ROOT: string;
export const BANNER: string;
export const BUNDLES: ReadonlyArray<{ name: string; entry: string; zip?: string }>;
export function bundleOptions(entry: string, outfile: string): BuildOptions & { metafile: true };
export function bundle(entry: string, outfile: string): Promise<{ warnings: string[]; metafile: Metafile }>;
export function crc32(buf: Uint8Array): number;
export function zipFiles(files: ReadonlyArray<{ name: string; data: Buffer }>): Buffer;
export function build(opts?: { outdir?: string; log?: (line: string) => void }): Promise<{ files: string[]; warnings: string[] }>;
