export declare const OFFLINE_GALLERY: string;
export declare function codeServerCommands(profile: { entry: string; configFile: string; userDataDir: string; extensionsDir: string }): {
  install(vsix: string): string[];
  serve(port: number, folder: string, trusted: boolean): string[];
};
export declare const START_SETTINGS: Record<string, unknown>;
export declare const CODE_SERVER_NOISE: RegExp[];
export declare function filterCodeServerOutput(noise?: RegExp[]): import('node:stream').Transform;
