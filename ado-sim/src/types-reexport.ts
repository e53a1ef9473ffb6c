// Types re-exported by the public API.
export type { FileChange } from "./gitstore";
export type { PushInput } from "./git";
