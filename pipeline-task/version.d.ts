export function taskVersionFor(extensionVersion: string, major: number): { Major: number; Minor: number; Patch: number };
