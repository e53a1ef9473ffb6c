// Public API of @testops/e2e: the stack launcher and the fake host, for later journeys and tools.
export { startStack, BUNDLE_API_URL, type Stack, type StackOptions } from "./stack";
export { readExtension, type ExtensionInfo, type HostContribution, type Surface } from "./manifest";
export { mintAppToken } from "./tokens";
export { themes, type ThemeName } from "./themes";
