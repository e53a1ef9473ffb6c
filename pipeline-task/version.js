// The task's version follows the extension's: Azure DevOps updates a task on agents only when its
// version grows, so every extension release must grow it. Extension x.y.z → task {Major: the task's
// own major (the @1 in YAML), Minor: x*1000+y, Patch: z}, which grows whenever the extension's does.
function taskVersionFor(extensionVersion, major) {
  const [x, y, z] = String(extensionVersion).split(".").map(Number);
  return { Major: major, Minor: x * 1000 + y, Patch: z };
}
module.exports = { taskVersionFor };
