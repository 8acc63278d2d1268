import type { BuildOptions } from 'esbuild';
export declare const nodeBundleOptions: BuildOptions & { banner: { js: string } };
export declare const cliBanner: { js: string };
