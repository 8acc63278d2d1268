export declare const OFFLINE_GALLERY: string;
export declare function codeServerCommands(profile: { entry: string; configFile: string; userDataDir: string; extensionsDir: string }): {
  install(vsix: string): string[];
  serve(port: number, folder: string, trusted: boolean): string[];
};
