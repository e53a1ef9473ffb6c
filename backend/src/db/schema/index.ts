// One module per area; each issue adds its own file here and its own numbered migration.
export * from "./foundation";
export * from "./connections";
export * from "./boards";
export * from "./repos";
export * from "./results";
export * from "./trace";
export * from "./ci";
