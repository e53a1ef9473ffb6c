// replaced by the SDK mock
export {};
