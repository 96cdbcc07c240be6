/**
 * Global declarations every documentation sample may use without a `sample-prelude` of its own:
 * the application's logger and metrics client, which samples use only to show where an event
 * or a number goes, and stand-ins for packages the samples import that the repository does not
 * install. The samples test writes this text as a global `.d.ts` file of the samples' program.
 *
 * Keep it small: a placeholder that only one page uses belongs in that sample's prelude, where the
 * reader of the Markdown source sees it.
 */
export const SHARED_PRELUDE = `
/** The application's logger. */
declare const log: {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
};

/** The application's metrics client. */
declare const metrics: {
  increment(name: string, tags?: Record<string, string | undefined>): void;
  gauge(name: string, value: number, tags?: Record<string, string | undefined>): void;
};

/** Stand-in for @azure/identity (not installed here): its credential is a TokenCredential. */
declare module '@azure/identity' {
  export class DefaultAzureCredential {
    constructor(options?: object);
    getToken(
      scopes: string | string[],
      options?: object,
    ): Promise<{ token: string; expiresOnTimestamp: number } | null>;
  }
}
`;
