import type { OrgUrl } from "./ado/urls";
import type { AdoTransport, IdentityVerifier, VerifiedOrg } from "./auth/identity";
import type { Config } from "./config";
import type { SecretBox } from "./crypto/secrets";
import type { Database } from "./db/client";
import type { JobQueue } from "./jobs";
import type { Logger } from "./log";

/** Everything a router needs; built once in server.ts (or by a test) and passed down. */
export interface AppDeps {
  config: Config;
  database: Database;
  jobs: JobQueue;
  log: Logger;
  secrets: SecretBox;
  identity: IdentityVerifier;
  /** How the backend reaches Azure DevOps (tests inject the simulator's in-process fetch). */
  ado: AdoTransport;
}

export interface RequestUser {
  id: string;
}

export interface RequestOrg extends VerifiedOrg {
  parsed: OrgUrl;
}

export type AppEnv = {
  Variables: {
    user: RequestUser;
    org: RequestOrg;
    /** The user's Azure DevOps access token, used only to ask ADO about this user's permissions. */
    accessToken: string;
    requestId: string;
    /** Set for CI callers (pipeline task, upload key) of the upload and push routes; see results/uploaders.ts. */
    uploader?: import("./results/uploaders").Uploader;
  };
};
