// The task library loads its messages with require(<computed path>), which a bundle cannot resolve:
// read the JSON file at run time instead (same result, no dynamic require).
module.exports = function (source) {
  return source.replace("require(resourceFile)", "JSON.parse(fs.readFileSync(resourceFile, 'utf8'))");
};
