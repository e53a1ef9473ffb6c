// extension test setup (filled by the hub tests)
export {};
